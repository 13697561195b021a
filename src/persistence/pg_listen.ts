/** LISTEN/NOTIFY for the PostgreSQL store: other servers' commits and rotations, as they happen. */
import type { Sql } from "postgres";
import { causeText, type PgHealth } from "./pg_errors.ts";

/** The notification channel; payloads are `{"m": memory, "g": generation, "s": head}`. */
export const CHANNEL = "zpm_journal";

/**
 * LISTEN on {@link CHANNEL} (postgres.js re-listens after a reconnect); for each notification about
 * `memory`, record its time in `health.lastNotifyAt` and call every listener.
 */
export function listenForCommits(
  sql: Sql,
  memory: string,
  health: PgHealth,
  listeners: Set<() => void>,
): void {
  sql.listen(CHANNEL, (payload) => {
    try {
      const p = JSON.parse(payload) as { m: string };
      if (p.m !== memory) return;
      health.lastNotifyAt = Date.now();
      for (const fn of listeners) fn();
    } catch { /* not ours */ }
  }).catch((e) => {
    health.reachable = false;
    health.lastError = causeText(e);
  });
}
