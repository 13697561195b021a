/** Errors and health of the PostgreSQL store, with credentials redacted from every message. */
import { redact } from "./pg_url.ts";

/** A PostgreSQL store operation failed; the message names the store (without credentials). */
export class PgStoreError extends Error {
  /** Wrap `cause` with what failed. */
  constructor(message: string, options?: ErrorOptions) {
    super(redact(message), options);
    this.name = "PgStoreError";
  }
}

/** The code and message of a client or server error, redacted. */
export function causeText(e: unknown): string {
  const err = e as { message?: string; code?: string };
  return redact(`${err.code ? err.code + ": " : ""}${err.message ?? String(e)}`);
}

/** True when `e` is an error the server reported (the transaction certainly did not commit). */
export function serverReported(e: unknown): boolean {
  return e instanceof Error && e.name === "PostgresError";
}

/** Health of the connection, for status reports. */
export interface PgHealth {
  /** True when the last statement reached the server. */
  reachable: boolean;
  /** The last connection error (redacted), or "". */
  lastError: string;
  /** When (ms since epoch) the last LISTEN notification for this memory arrived, or null. */
  lastNotifyAt: number | null;
}

let guarded = false;

/** True for an error raised inside postgres.js's connection handling (its connection.js). */
function fromClientConnection(e: unknown): boolean {
  return e instanceof Error && /postgres[/\\]src[/\\]connection\.js/.test(e.stack ?? "");
}

/**
 * postgres.js 3.4.9 can throw from its connection handling after the server closed a connection:
 * `TypeError: Cannot read properties of null (reading 'write')` from a queued write
 * (porsager/postgres#1154, #1208; fixes not released), and like errors and rejections from the same
 * socket code while a backend is terminated. The statements involved have already been rejected
 * (CONNECTION_CLOSED) or are ended by the statement deadline (pg_deadline.ts), and the store
 * reconnects; so such an error, uncaught or an unhandled rejection, is reported once on stderr
 * instead of ending the process. Errors from anywhere else are left alone.
 */
export function guardClientBug(): void {
  if (guarded) return;
  guarded = true;
  const seen = new Set<string>();
  const note = (e: Error) => {
    if (seen.has(e.message)) return;
    seen.add(e.message);
    console.error(`zpm: ignored an error inside the PostgreSQL client after a lost connection: ${e.message}`);
  };
  globalThis.addEventListener("error", (ev) => {
    if (!fromClientConnection(ev.error)) return;
    ev.preventDefault();
    note(ev.error);
  });
  globalThis.addEventListener("unhandledrejection", (ev) => {
    if (!fromClientConnection(ev.reason)) return;
    ev.preventDefault();
    note(ev.reason);
  });
}
