/**
 * An open `journal.wal` for appending under the exclusive lock: `write` puts bytes at the end (not yet
 * durable), `sync` makes everything written so far durable (fdatasync), and after a failed write or
 * sync `cutBack` removes what was written since the last good sync. One durable append is open, write,
 * sync, close; a group commit writes several transactions and syncs them once.
 *
 * @module
 */
import { errText, JournalWriteError } from "../io/files.ts";
import { openChecked, UnsafePathError } from "../io/safe_files.ts";
import { checkInjectedSyncFault, injectedSyncDelay } from "./fault_injection.ts";

const NL = 0x0a;

/** The last byte of an open file of `size` > 0 bytes (two short syscalls, made synchronously), or -1. */
function lastByteSync(file: Deno.FsFile, size: number): number {
  const b = new Uint8Array(1);
  file.seekSync(size - 1, Deno.SeekMode.Start);
  return file.readSync(b) === 1 ? b[0] : -1;
}

/** See the module comment. Call every method while holding the journal's exclusive lock. */
export class JournalAppender {
  private closed = false;

  private constructor(
    private readonly file: Deno.FsFile,
    private readonly path: string,
    /** Size of the journal when it was opened. */
    readonly start: number,
    /** Size of the journal after the last write. */
    public end: number,
  ) {}

  /**
   * Open (creating it if missing) the journal at `path` in directory `dir` for appending. With
   * `checkTail`, refuse a journal whose last line lacks its "\n" (recovery must run first).
   */
  static async open(path: string, dir: string, checkTail: boolean): Promise<JournalAppender> {
    let file: Deno.FsFile;
    let size: number;
    try {
      ({ file, info: { size } } = await openChecked(path, { read: true, append: true, create: true }));
    } catch (e) {
      if (e instanceof UnsafePathError) throw e;
      throw new JournalWriteError(
        `Cannot open ${path} for appending (${
          errText(e)
        }); the change was not saved. Check that ${dir} exists and is writable.`,
        { cause: e },
      );
    }
    if (checkTail && size > 0 && lastByteSync(file, size) !== NL) {
      file.close();
      throw new JournalWriteError(
        `${path} does not end with a newline (a torn or unfinished last line); the change was not saved. Recover the journal (cut the torn tail or add the newline) before appending.`,
      );
    }
    return new JournalAppender(file, path, size, size);
  }

  /** Write `bytes` at the end (not durable until {@link sync}); returns the journal's size after them. */
  write(bytes: Uint8Array): number {
    const n = this.file.writeSync(bytes); // a local append: sync avoids a thread-pool hop
    if (n !== bytes.length) {
      this.end += Math.max(0, n);
      throw new JournalWriteError(
        `Short write to ${this.path}: ${n} of ${bytes.length} bytes written (disk full?); the change was not saved. Free disk space, then retry.`,
      );
    }
    this.end += n;
    return this.end;
  }

  /** fdatasync everything written so far. A failure is never retried: see {@link failed}. */
  async sync(): Promise<void> {
    checkInjectedSyncFault("journal", this.path);
    await injectedSyncDelay();
    await this.file.syncData();
  }

  /**
   * After a failed write or sync: cut the journal back to `to` (its size at the last good sync) and
   * return `e` as a {@link JournalWriteError} that says what was cut.
   */
  async failed(e: unknown, to: number): Promise<JournalWriteError> {
    let undo: string;
    try {
      await this.file.truncate(to);
      await this.file.syncData();
      this.end = to;
      undo = ` The journal was cut back to ${to} bytes.`;
    } catch (e2) {
      undo = ` Cutting the journal back to ${to} bytes also failed (${
        errText(e2)
      }); it may end in a partial line, which recovery will cut on the next start.`;
    }
    if (e instanceof JournalWriteError) {
      e.message += undo;
      return e;
    }
    return new JournalWriteError(
      `Writing or syncing ${this.path} failed (${
        errText(e)
      }); the change was not saved and the sync will not be retried.${undo} Check the disk and free space, then retry.`,
      { cause: e },
    );
  }

  /** Close the file (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.file.close();
    } catch { /* already closed */ }
  }
}
