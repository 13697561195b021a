/**
 * Test-only fault injection for the file journal store, armed by the environment variable
 * `ZPM_TEST_FAIL_SYNC`, read once at startup. `journal:N` makes the next N `fdatasync` calls of
 * journal appends fail with an EIO-like error (the data was written but the sync failed), the way a
 * dying disk would; `dir:N` does the same for the next N directory fsyncs of the journal directory
 * (rotation, tail cut, reaping). Several entries are separated by commas. Unset (always, outside
 * tests) it does nothing. It is not a mock: the real file operations run, only the sync reports failure.
 * `ZPM_TEST_SLOW_SYNC_MS=N` makes every journal sync wait N ms before the real `fdatasync` (a slow disk),
 * so that a test can tell an answer sent before its sync from one sent after it.
 *
 * @module
 */

/** Sync operations that tests can make fail. */
export type SyncFault = "journal" | "dir";

const remaining = new Map<SyncFault, number>();
let slowSyncMs = 0;
try {
  slowSyncMs = Math.min(Number(Deno.env.get("ZPM_TEST_SLOW_SYNC_MS") ?? 0) || 0, 10_000);
  for (const part of (Deno.env.get("ZPM_TEST_FAIL_SYNC") ?? "").split(",")) {
    const m = /^(journal|dir):(\d+)$/.exec(part.trim());
    if (m) remaining.set(m[1] as SyncFault, Number(m[2]));
  }
} catch {
  // no --allow-env: nothing armed
}

/**
 * Throws an EIO-like error if a failure of `kind` is still armed (and uses one up); otherwise returns.
 * Call it right before the real sync it stands for.
 */
export function checkInjectedSyncFault(kind: SyncFault, path: string): void {
  const n = remaining.get(kind) ?? 0;
  if (n <= 0) return;
  remaining.set(kind, n - 1);
  throw new Error(`Input/output error (os error 5) syncing ${path} [injected by ZPM_TEST_FAIL_SYNC=${kind}]`);
}

/** Wait as long as `ZPM_TEST_SLOW_SYNC_MS` says (nothing, outside tests); call it right before a journal sync. */
export async function injectedSyncDelay(): Promise<void> {
  if (slowSyncMs > 0) await new Promise((r) => setTimeout(r, slowSyncMs));
}
