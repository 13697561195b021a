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

/**
 * postgres.js 3.4.9 can throw an uncatchable `TypeError: Cannot read properties of null (reading
 * 'write')` from a queued write after the server closed the connection (porsager/postgres#1154,
 * #1208; fixes not released). The query involved has already been rejected with CONNECTION_CLOSED,
 * so this one error is swallowed instead of letting it end the process.
 */
export function guardClientBug(): void {
  if (guarded) return;
  guarded = true;
  globalThis.addEventListener("error", (ev) => {
    const e = ev.error;
    if (
      e instanceof TypeError && /reading 'write'/.test(e.message) &&
      /postgres[/\\]src[/\\]connection\.js/.test(e.stack ?? "")
    ) ev.preventDefault();
  });
}
