/**
 * File operations on one memory directory's journal: locking (`file_lock.ts`), durable appends,
 * tail repair, rotation into archives and reaping of old archives. Files in the directory:
 * - `journal.wal`: the active journal (JSON Lines).
 * - `journal.lock`: the `flock` target; created once, never renamed or deleted.
 * - `journal-<unix ns>.wal`: archives made by {@link JournalFiles.rotate}.
 * - `journal.wal.broken-<unix ns>`: bytes cut off by {@link JournalFiles.cutTail}.
 *
 * @module
 */

import { join } from "node:path";
import { errText, fsyncDir, JournalWriteError, lastByte, nowNs, readRange, writeAll } from "../io/files.ts";
import { checkInjectedSyncFault } from "./fault_injection.ts";
import { JournalAppender } from "./journal_appender.ts";
import {
  assertRealDir,
  checkFile,
  lstatOrNull,
  openChecked,
  openNoFollow,
  UnsafePathError,
} from "../io/safe_files.ts";
import { closeLockFile, holdsExclusive, withFileLock } from "./file_lock.ts";
import { ForeignJournalError, foreignJournalReason } from "./journal_foreign.ts";

/** Identity of journal.wal at a point in time: inode (null where the OS has none) and size in bytes. */
export interface FileId {
  /** Inode number, or null where the OS reports none (Windows). */
  ino: number | null;
  /** Size in bytes. */
  size: number;
}

const encoder = new TextEncoder();
const NL = 0x0a;
const ARCHIVE_RE = /^journal-(\d+)\.wal$/;
/** The journal files of one memory directory (see the module comment for the layout). */
export class JournalFiles {
  /** Path of the active journal, `<dir>/journal.wal`. */
  readonly walPath: string;
  /** Path of the lock file, `<dir>/journal.lock`. */
  readonly lockPath: string;

  /** Files of the memory directory `dir` (e.g. `<project>/.zpm/data`); touches nothing on disk. */
  constructor(readonly dir: string) {
    this.walPath = join(dir, "journal.wal");
    this.lockPath = join(dir, "journal.lock");
  }

  /** Run `fn` holding journal.lock (exclusive for writers, shared for readers); see {@link withFileLock}. */
  withLock<T>(exclusive: boolean, fn: () => Promise<T>, timeoutMs?: number): Promise<T> {
    return withFileLock(this.lockPath, exclusive, fn, timeoutMs);
  }

  /** Close the lock file this process keeps open between locks (reopened by the next lock). */
  close(): void {
    closeLockFile(this.lockPath);
  }

  #requireExclusive(what: string): void {
    if (holdsExclusive(this.lockPath)) return;
    throw new Error(`JournalFiles.${what} must be called inside withLock(true) for ${this.dir}`);
  }

  /**
   * Append `data` to journal.wal durably: open by path (append, create, 0644),
   * one write, syncData, close. A short or failed write, or a failed sync,
   * throws JournalWriteError (never retried) after trying to cut the file back
   * to its previous size. Refuses to glue data onto a line that lacks its
   * final "\n" (run recovery first). Must be called inside withLock(true).
   */
  async append(data: string | Uint8Array): Promise<number> {
    this.#requireExclusive("append");
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    return await this.#appendBytes(bytes, bytes.length > 0 && bytes[0] !== NL);
  }

  /** Append `bytes` durably; returns the journal's size afterwards (from the open file, no extra stat). */
  async #appendBytes(bytes: Uint8Array, checkTail: boolean): Promise<number> {
    const appender = await JournalAppender.open(this.walPath, this.dir, checkTail);
    try {
      appender.write(bytes);
      await appender.sync();
      return appender.end;
    } catch (e) {
      throw await appender.failed(e, appender.start);
    } finally {
      appender.close();
    }
  }

  /**
   * Open journal.wal for a group of appends that one sync makes durable (see `journal_appender.ts`).
   * Must be called inside withLock(true), and the appender used only while that lock is held.
   */
  openAppender(): Promise<JournalAppender> {
    this.#requireExclusive("openAppender");
    return JournalAppender.open(this.walPath, this.dir, true);
  }

  /**
   * lstat of journal.wal, or null if it is missing (one syscall: the directory is checked for links
   * by every open; a link or non-file here throws as {@link checkFile} does).
   */
  async stat(): Promise<FileId | null> {
    const st = await lstatOrNull(this.walPath);
    if (st && !st.isFile) await checkFile(this.walPath, "read");
    return st && { ino: st.ino ?? null, size: st.size };
  }

  /**
   * Bytes of journal.wal from `offset` to EOF (empty if missing or shorter) and its FileId when read.
   * `id.size` is offset + bytes read, or the real size when the file is shorter than `offset` (it was cut
   * or replaced). Call under a lock for a consistent view.
   */
  async readFrom(offset: number): Promise<{ bytes: Uint8Array; id: FileId | null }> {
    let file: Deno.FsFile;
    let st: Deno.FileInfo;
    try {
      ({ file, info: st } = await openChecked(this.walPath, { read: true }));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return { bytes: new Uint8Array(0), id: null };
      throw e;
    }
    try {
      const ino = st.ino ?? null;
      if (st.size < offset) {
        return { bytes: new Uint8Array(0), id: { ino, size: st.size } };
      }
      const bytes = await readRange(file, offset, st.size - offset, true);
      return { bytes, id: { ino, size: offset + bytes.length } };
    } finally {
      file.close();
    }
  }

  /**
   * Cut a torn tail: copy bytes [goodEnd, EOF) of journal.wal to `journal.wal.broken-<unix ns>` (fsynced),
   * truncate journal.wal to goodEnd, fsync it and the directory. Returns the broken file's path. Must be
   * called inside withLock(true).
   */
  async cutTail(goodEnd: number): Promise<string> {
    this.#requireExclusive("cutTail");
    const path = this.walPath;
    let file: Deno.FsFile;
    let size: number;
    try {
      ({ file, info: { size } } = await openChecked(path, { read: true, write: true }));
    } catch (e) {
      if (e instanceof UnsafePathError) throw e;
      throw new JournalWriteError(
        `Cannot open ${path} to cut its damaged tail (${errText(e)}).`,
        { cause: e },
      );
    }
    try {
      if (!Number.isSafeInteger(goodEnd) || goodEnd < 0 || goodEnd > size) {
        throw new RangeError(
          `cutTail(${goodEnd}) is outside ${path} (${size} bytes)`,
        );
      }
      const tail = await readRange(file, goodEnd, size - goodEnd, false);
      const head = await readRange(file, 0, goodEnd, false);
      const foreign = foreignJournalReason(head, tail);
      if (foreign) throw new ForeignJournalError(path, foreign);
      const brokenPath = await this.#writeBroken(tail);
      try {
        await file.truncate(goodEnd);
        await file.sync();
      } catch (e) {
        throw new JournalWriteError(
          `Cannot truncate ${path} to ${goodEnd} bytes (${
            errText(e)
          }); the damaged tail was saved to ${brokenPath} but is still in the journal.`,
          { cause: e },
        );
      }
      await this.#syncDir();
      return brokenPath;
    } finally {
      file.close();
    }
  }

  async #writeBroken(tail: Uint8Array): Promise<string> {
    let ns = nowNs();
    for (;;) {
      const brokenPath = join(this.dir, `journal.wal.broken-${ns}`);
      let out: Deno.FsFile;
      try {
        out = await openNoFollow(brokenPath, { write: true, createNew: true });
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists) {
          ns = ns + 1n;
          continue;
        }
        throw new JournalWriteError(
          `Cannot create ${brokenPath} to save the damaged journal tail (${
            errText(e)
          }); the journal was not changed. Check that ${this.dir} is writable.`,
          { cause: e },
        );
      }
      try {
        await writeAll(out, tail);
        await out.sync();
      } catch (e) {
        out.close();
        await Deno.remove(brokenPath).catch(() => {});
        throw new JournalWriteError(
          `Cannot write ${brokenPath} (${
            errText(e)
          }); the journal was not changed. Free disk space, then retry.`,
          { cause: e },
        );
      }
      out.close();
      return brokenPath;
    }
  }

  /** If journal.wal ends without "\n", append one (and syncData). Must be called inside withLock(true). */
  async ensureFinalNewline(): Promise<void> {
    this.#requireExclusive("ensureFinalNewline");
    let file: Deno.FsFile;
    let size: number;
    try {
      ({ file, info: { size } } = await openChecked(this.walPath, { read: true }));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      if (e instanceof UnsafePathError) throw e;
      throw new JournalWriteError(
        `Cannot read ${this.walPath} (${errText(e)}).`,
        { cause: e },
      );
    }
    let needed = false;
    try {
      needed = size > 0 && (await lastByte(file, size)) !== NL;
    } finally {
      file.close();
    }
    if (needed) await this.#appendBytes(Uint8Array.of(NL), false);
  }

  /**
   * Rename journal.wal to `journal-<unix ns>.wal` (a fresh name), create a new
   * empty journal.wal and fsync the directory. Returns the archive's file name,
   * or null when there was no journal.wal (then only the empty one is created).
   * Must be called inside withLock(true).
   */
  async rotate(): Promise<string | null> {
    this.#requireExclusive("rotate");
    if (!(await checkFile(this.walPath, "rename"))) {
      await this.#createEmptyWal();
      await this.#syncDir();
      return null;
    }
    let ns = nowNs();
    let name = `journal-${ns}.wal`;
    while (await lstatOrNull(join(this.dir, name))) {
      ns = ns + 1n;
      name = `journal-${ns}.wal`;
    }
    const archivePath = join(this.dir, name);
    try {
      await Deno.rename(this.walPath, archivePath);
    } catch (e) {
      throw new JournalWriteError(
        `Cannot rename ${this.walPath} to ${archivePath} (${errText(e)}); the journal was not rotated.`,
        { cause: e },
      );
    }
    try {
      await this.#createEmptyWal();
    } catch (e) {
      try {
        await Deno.rename(archivePath, this.walPath);
      } catch {
        // journal.wal is recreated by the next append; the archive keeps the data
      }
      throw e;
    }
    await this.#syncDir();
    return name;
  }

  async #createEmptyWal(): Promise<void> {
    try {
      const f = await openNoFollow(this.walPath, { write: true, create: true });
      f.close();
    } catch (e) {
      if (e instanceof UnsafePathError) throw e;
      throw new JournalWriteError(
        `Cannot create ${this.walPath} (${errText(e)}); check that ${this.dir} is writable.`,
        { cause: e },
      );
    }
  }

  /**
   * Delete archives named exactly `journal-<digits>.wal` whose number is
   * < keepNewerThanNs, then fsync the directory. Never touches any other name.
   * Returns the deleted names.
   */
  async reap(keepNewerThanNs: bigint): Promise<string[]> {
    const deleted: string[] = [];
    await assertRealDir(this.dir);
    for (const a of await this.listArchives()) {
      if (a.ns >= keepNewerThanNs) continue;
      try {
        await Deno.remove(join(this.dir, a.name));
        deleted.push(a.name);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) continue; // reaped by another process
        throw new JournalWriteError(
          `Cannot delete old journal archive ${join(this.dir, a.name)} (${errText(e)}).`,
          { cause: e },
        );
      }
    }
    if (deleted.length > 0) await this.#syncDir();
    return deleted;
  }

  /** Archives (`journal-<digits>.wal` regular files), oldest first. */
  async listArchives(): Promise<{ name: string; ns: bigint }[]> {
    const out: { name: string; ns: bigint }[] = [];
    try {
      for await (const entry of Deno.readDir(this.dir)) {
        const m = ARCHIVE_RE.exec(entry.name);
        if (m && entry.isFile) out.push({ name: entry.name, ns: BigInt(m[1]) });
      }
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e;
    }
    out.sort((a, b) => a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : a.name < b.name ? -1 : 1);
    return out;
  }

  async #syncDir(): Promise<void> {
    try {
      checkInjectedSyncFault("dir", this.dir);
      await fsyncDir(this.dir);
    } catch (e) {
      throw new JournalWriteError(
        `Cannot fsync directory ${this.dir} (${errText(e)}).`,
        { cause: e },
      );
    }
  }
}
