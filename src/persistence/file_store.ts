/**
 * The journal store on a memory directory: `journal.wal` (JSON Lines, byte offsets as positions,
 * the inode as the generation), `journal.lock` (flock), `journal-<ns>.wal` archives and snapshot
 * files in the snapshot directory. See `journal_store.ts` for the contract it meets.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../io/files.ts";
import { assertRealDir, checkFile, PRIVATE_DIR_MODE } from "../io/safe_files.ts";
import { encodeTransaction } from "./journal_encode.ts";
import { scanJournal } from "./journal_format.ts";
import { JournalFiles } from "./journal_file.ts";
import type {
  JournalArchive,
  JournalGroup,
  JournalHead,
  JournalRead,
  JournalStore,
  NewTransaction,
} from "./journal_store.ts";
import { listSnapshots, type SnapshotInfo } from "./snapshot_file.ts";

const encoder = new TextEncoder();

/** A {@link JournalStore} on the files of one memory directory. */
export class FileJournalStore implements JournalStore {
  /** The journal files (lock, append, cut, rotate, reap). */
  readonly files: JournalFiles;
  /** Positions are byte offsets in journal.wal. */
  readonly unit = "bytes";

  /** Store for the journal in `dataDir` and snapshots in `snapshotDir`; touches nothing on disk. */
  constructor(readonly dataDir: string, readonly snapshotDir: string) {
    this.files = new JournalFiles(dataDir);
  }

  /** Path of journal.wal. */
  get location(): string {
    return this.files.walPath;
  }

  /** flock on journal.lock; see {@link JournalFiles.withLock}. */
  withLock<T>(exclusive: boolean, fn: () => Promise<T>): Promise<T> {
    return this.files.withLock(exclusive, fn);
  }

  /** Close the lock file kept open between locks. */
  close(): Promise<void> {
    this.files.close();
    return Promise.resolve();
  }

  /** Inode and size of journal.wal, or null when it does not exist. */
  async head(): Promise<JournalHead | null> {
    const id = await this.files.stat();
    return id && { generation: String(id.ino), end: id.size };
  }

  /** journal.wal opened for a group commit (exclusive lock held). */
  async openGroup(): Promise<JournalGroup> {
    const appender = await this.files.openAppender();
    return {
      start: appender.start,
      get end() {
        return appender.end;
      },
      write: (tx) => appender.write(encoder.encode(encodeTransaction(tx))),
      sync: () => appender.sync(),
      failed: (e, to) => appender.failed(e, to),
      close: () => appender.close(),
    };
  }

  /** Scan journal.wal from byte `from` to its end. */
  async read(from: number): Promise<JournalRead> {
    const { bytes, id } = await this.files.readFrom(from);
    let lines = 0;
    for (const b of bytes) if (b === 10) lines++;
    return {
      scan: scanJournal(bytes, from),
      head: id && { generation: String(id.ino), end: id.size },
      lines,
    };
  }

  /** Append one encoded transaction with fdatasync; returns the new size of journal.wal. */
  async append(tx: NewTransaction): Promise<number> {
    return await this.files.append(encodeTransaction(tx));
  }

  /** Cut journal.wal at `goodEnd`; the cut bytes go to `journal.wal.broken-<ns>`. */
  cutTail(goodEnd: number): Promise<string> {
    return this.files.cutTail(goodEnd);
  }

  /** Append the missing final "\n" of journal.wal. */
  ensureFinalNewline(): Promise<void> {
    return this.files.ensureFinalNewline();
  }

  /** Rename journal.wal to an archive and start an empty one. */
  async rotate(): Promise<void> {
    await this.files.rotate();
  }

  /** Delete `journal-<ns>.wal` archives older than `keepNewerThanNs`. */
  reap(keepNewerThanNs: bigint): Promise<string[]> {
    return this.files.reap(keepNewerThanNs);
  }

  /** `journal-<ns>.wal` archives, oldest first. */
  listArchives(): Promise<JournalArchive[]> {
    return this.files.listArchives();
  }

  /** Snapshot files in the snapshot directory, newest first by header. */
  listSnapshots(): Promise<SnapshotInfo[]> {
    return listSnapshots(this.snapshotDir);
  }

  /** Text of `<snapshotDir>/<file>`, or null when it cannot be read or is a link. */
  async readSnapshot(file: string): Promise<string | null> {
    const path = join(this.snapshotDir, file);
    if (!(await checkFile(path, "read").catch(() => null))) return null;
    return await Deno.readTextFile(path).catch(() => null);
  }

  /** Write `<snapshotDir>/<file>` atomically (temp file, fsync, rename, directory fsync). */
  async writeSnapshot(file: string, text: string): Promise<SnapshotInfo | null> {
    await assertRealDir(this.snapshotDir);
    await Deno.mkdir(this.snapshotDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    await writeFileAtomic(join(this.snapshotDir, file), text);
    return (await this.listSnapshots()).find((s) => s.name === file) ?? null;
  }
}
