/**
 * Cross-process file locks: `flock` on a stable lock file, with an in-process FIFO queue (flock is
 * per open file, so one process must queue itself) and re-entrancy within one async call chain. The
 * lock file stays open between calls (checked by one lstat that the path still names it) until
 * {@link closeLockFile}.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { resolve } from "node:path";
import { errText, JournalWriteError } from "../io/files.ts";
import { lstatOrNull, openChecked, UnsafePathError } from "../io/safe_files.ts";

/** The journal lock could not be taken before the deadline; the message names the lock file. */
export class LockTimeoutError extends Error {
  /** Build the timeout error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "LockTimeoutError";
  }
}

const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

type LockMode = "shared" | "exclusive";

/** Locks held by the current async call chain, keyed by absolute lock path. */
const heldLocks = new AsyncLocalStorage<ReadonlyMap<string, LockMode>>();

/** In-process FIFO queue per lock path (flock is per open file, so one process must queue itself). */
const queues = new Map<string, { tail: Promise<void>; users: number }>();

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

/** Wait for our turn in the in-process queue for `key`; returns the release function. */
async function enterQueue(
  key: string,
  deadline: number,
  describeLock: () => string,
): Promise<() => void> {
  let q = queues.get(key);
  if (!q) {
    q = { tail: Promise.resolve(), users: 0 };
    queues.set(key, q);
  }
  const queue = q;
  queue.users++;
  let releaseMine!: () => void;
  const mine = new Promise<void>((r) => (releaseMine = r));
  const prev = queue.tail;
  queue.tail = prev.then(() => mine);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    releaseMine();
    queue.users--;
    if (queue.users === 0 && queues.get(key) === queue) queues.delete(key);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = await Promise.race([
    prev.then(() => false),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(true), Math.max(0, deadline - Date.now()));
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    // Keep the queue moving: pass our turn on as soon as it comes.
    prev.then(release);
    throw new LockTimeoutError(describeLock());
  }
  return release;
}

/** A lock file kept open between calls, and the identity it had when opened. */
interface OpenLock {
  file: Deno.FsFile;
  info: Deno.FileInfo;
  writable: boolean;
}

/** Lock files kept open per absolute path: used only by the holder of that path's in-process queue. */
const openLocks = new Map<string, OpenLock>();

/**
 * The open lock file for `key`: the one kept from an earlier call while the path still names that
 * very file (one lstat), else a fresh open. Caller holds the in-process queue for `key`.
 */
async function lockFile(key: string, lockPath: string, exclusive: boolean): Promise<Deno.FsFile> {
  const kept = openLocks.get(key);
  if (kept && (kept.writable || !exclusive)) {
    const now = await lstatOrNull(lockPath);
    if (now?.isFile && now.ino !== null && now.ino === kept.info.ino && now.dev === kept.info.dev) {
      return kept.file;
    }
  }
  forgetLockFile(key);
  const opened = await openLockFile(lockPath, exclusive);
  openLocks.set(key, opened);
  return opened.file;
}

/** Close the kept lock file of `key` (closing also releases any lock on it). */
function forgetLockFile(key: string): void {
  const kept = openLocks.get(key);
  if (!kept) return;
  openLocks.delete(key);
  try {
    kept.file.close();
  } catch { /* already closed */ }
}

/**
 * Close the lock file kept open for `lockPath` (when a store is closed); the next lock opens it again.
 * While a call of this process holds or waits for that lock, the file stays open (closing would release it).
 */
export function closeLockFile(lockPath: string): void {
  const key = resolve(lockPath);
  if (!queues.has(key)) forgetLockFile(key);
}

/** Open (creating once if missing, 0600, never through a link) the lock file. Readers fall back to a read-only open. */
async function openLockFile(lockPath: string, exclusive: boolean): Promise<OpenLock> {
  try {
    return { ...(await openChecked(lockPath, { read: true, write: true, create: true })), writable: true };
  } catch (e) {
    if (e instanceof UnsafePathError) throw e;
    if (!exclusive) {
      try {
        return { ...(await openChecked(lockPath, { read: true })), writable: false };
      } catch {
        // report the original error
      }
    }
    const hint = e instanceof Deno.errors.NotFound
      ? "the memory directory does not exist"
      : "check that the memory directory exists and is writable";
    throw new JournalWriteError(
      `Cannot open or create the journal lock file ${lockPath} (${errText(e)}); ${hint}.`,
      { cause: e },
    );
  }
}

/**
 * Take flock on `lockPath` (exclusive for writers, shared for readers),
 * run `fn`, release. Calls from one process queue up in order; a nested call
 * from inside `fn` (same async call chain) runs directly when the held lock
 * covers it, and throws when it would need to upgrade shared to exclusive.
 * Throws LockTimeoutError after `timeoutMs`, JournalWriteError when the lock
 * file cannot be opened.
 */
export async function withFileLock<T>(
  lockPath: string,
  exclusive: boolean,
  fn: () => Promise<T>,
  timeoutMs: number = DEFAULT_LOCK_TIMEOUT_MS,
): Promise<T> {
  const key = resolve(lockPath);
  const held = heldLocks.getStore()?.get(key);
  if (held === "exclusive" || (held === "shared" && !exclusive)) {
    return await fn();
  }
  if (held === "shared") {
    throw new Error(
      `Cannot take the exclusive lock on ${lockPath} while this call already holds it shared; take withLock(true) from the start.`,
    );
  }
  const mode: LockMode = exclusive ? "exclusive" : "shared";
  const deadline = Date.now() + timeoutMs;
  const describeLock = () =>
    `Timed out after ${timeoutMs} ms waiting for the ${mode} lock on ${lockPath}. Another zpm process (or a slow call in this one) is holding it; retry, or find the holder with "fuser ${lockPath}".`;
  const release = await enterQueue(key, deadline, describeLock);
  try {
    const file = await lockFile(key, lockPath, exclusive);
    let delay = 1;
    try {
      while (!file.tryLockSync(exclusive)) { // one short syscall: sync avoids a thread-pool hop
        const left = deadline - Date.now();
        if (left <= 0) throw new LockTimeoutError(describeLock());
        await sleep(Math.min(left, delay + Math.random() * delay));
        delay = Math.min(delay * 2, 16);
      }
    } catch (e) {
      forgetLockFile(key);
      throw e;
    }
    const store = new Map(heldLocks.getStore() ?? []);
    store.set(key, mode);
    try {
      return await heldLocks.run(store, fn);
    } finally {
      try {
        file.unlockSync();
      } catch {
        forgetLockFile(key); // closing releases the lock
      }
    }
  } finally {
    release();
  }
}

/** True when the current async call chain holds the exclusive lock on `lockPath`. */
export function holdsExclusive(lockPath: string): boolean {
  return heldLocks.getStore()?.get(resolve(lockPath)) === "exclusive";
}
