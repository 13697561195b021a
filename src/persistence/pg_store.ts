/**
 * The journal store in PostgreSQL, shared by zpm servers on several machines (tables: pg_schema.ts;
 * contract: journal_store.ts). Positions are sequence numbers: `head().end` is the last seq of the
 * active generation (0 when empty); `rotate` increments the generation in `zpm_memories`.
 * `withLock(true)` is a session advisory lock on the writer's own connection (released if it dies);
 * reads take no lock (each is one statement). `append` is one transaction with synchronous commit;
 * a commit whose connection was lost is resolved by re-locking and looking up its txid. When the
 * database is unreachable `head()` returns the last head seen, so reads go on; writes fail with a
 * {@link PgStoreError} naming the store. LISTEN (option `listen`) reports other servers' commits.
 *
 * @module
 */
import postgres, { type Sql } from "postgres";
import { nowNs } from "../io/files.ts";
import { crc32c } from "./crc32c.ts";
import type {
  JournalArchive,
  JournalHead,
  JournalRead,
  JournalStore,
  NewTransaction,
} from "./journal_store.ts";
import { causeText, guardClientBug, type PgHealth, PgStoreError, serverReported } from "./pg_errors.ts";
import { withDeadline } from "./pg_deadline.ts";
import { CHANNEL, listenForCommits } from "./pg_listen.ts";
import { journalRead, snapshotInfos } from "./pg_rows.ts";
import { ensureSchema } from "./pg_schema.ts";
import { clientOptions, storeUrlWithoutPassword } from "./pg_url.ts";
import { parseSnapshotHeader, type SnapshotInfo } from "./snapshot_file.ts";

/** How long an unknown commit outcome is retried before giving up. */
const RESOLVE_MS = 30_000;
/** Longest wait for one statement on the writer connection (including the lock) before it is replaced. */
const STATEMENT_MS = 15_000;

type Conn = Sql;

/** A {@link JournalStore} for memory `memory` in the PostgreSQL database at `url`. */
export class PgJournalStore implements JournalStore {
  /** Positions are transaction sequence numbers. */
  readonly unit = "transactions";
  private readonly sql: Sql;
  /** The writer's single connection (holds the advisory lock; reconnects by itself). */
  private lockSql: Sql;
  private readonly newLockClient: () => Sql;
  /** In-process queue of exclusive sections (an advisory lock is re-entrant within one session). */
  private queue: Promise<void> = Promise.resolve();
  private locked: Conn | null = null;
  private schemaReady: Promise<void> | null = null;
  private lastHead: JournalHead | null = null;
  private failedAt = 0;
  private readonly changeListeners = new Set<() => void>();
  /** Connection health, for status. */
  readonly health: PgHealth = { reachable: true, lastError: "", lastNotifyAt: null };
  /** The URL without password. */
  readonly url: string;

  /** A store for `memory` at `url` (credentials: the URL, PGPASSWORD, or ~/.pgpass). */
  constructor(url: string, readonly memory: string, opts: { listen?: boolean } = {}) {
    this.url = storeUrlWithoutPassword(url);
    const options = clientOptions(url);
    this.sql = postgres(url, { ...options, max: 4 });
    this.newLockClient = () => {
      const client = postgres(url, { ...options, max: 1 });
      const wrapped: Sql = withDeadline(client, STATEMENT_MS, () => {
        // A lost statement: drop this connection (and the lock with it) and start a fresh one.
        if (this.lockSql === wrapped) this.lockSql = this.newLockClient();
        client.end({ timeout: 0 }).catch(() => {});
      });
      return wrapped;
    };
    this.lockSql = this.newLockClient();
    guardClientBug();
    if (opts.listen) listenForCommits(this.sql, memory, this.health, this.changeListeners);
  }

  /** `postgres://user@host/db memory 'name'` (no password). */
  get location(): string {
    return `${this.url} memory '${this.memory}'`;
  }

  /** Call `fn` whenever another server commits or rotates this memory (via LISTEN). */
  onChange(fn: () => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  private noteFailure(e: unknown): void {
    this.health.reachable = false;
    this.health.lastError = causeText(e);
    this.failedAt = Date.now();
  }

  private noteOk(): void {
    Object.assign(this.health, { reachable: true, lastError: "" });
  }

  private fail(what: string, e: unknown): never {
    if (e instanceof PgStoreError) throw e;
    if (!serverReported(e)) this.noteFailure(e);
    throw new PgStoreError(
      `PostgreSQL store ${this.location}: ${what} failed (${causeText(e)}). ` +
        "Check that the database is reachable; zpm reconnects by itself.",
      { cause: e },
    );
  }

  /** The connection to use: the locked one inside `withLock(true)`, else the pool. */
  private async conn(): Promise<Conn> {
    if (!this.schemaReady) {
      this.schemaReady = ensureSchema(this.sql).catch((e) => {
        this.schemaReady = null;
        throw e;
      });
    }
    await this.schemaReady;
    return this.locked ?? this.sql;
  }

  private lockKey(): string {
    return `zpm:${this.memory}`;
  }

  private async acquire(): Promise<Conn> {
    await this.conn();
    await this.lockSql`SELECT pg_advisory_lock(hashtext(${this.lockKey()}))`;
    return this.lockSql;
  }

  /** Exclusive: a session advisory lock on a reserved connection. Shared: no lock (reads are atomic). */
  async withLock<T>(exclusive: boolean, fn: () => Promise<T>): Promise<T> {
    if (!exclusive) return await fn();
    const previous = this.queue;
    let done = () => {};
    this.queue = new Promise((r) => done = r);
    await previous;
    try {
      return await this.exclusive(fn);
    } finally {
      done();
    }
  }

  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    let c: Conn;
    for (let attempt = 1;; attempt++) {
      try {
        c = await this.acquire();
        this.noteOk();
        break;
      } catch (e) {
        // Nothing was written yet: a dead connection is retried on a fresh one.
        if (attempt >= 3) this.fail("taking the write lock", e);
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
    this.locked = c;
    try {
      return await fn();
    } finally {
      const held = this.locked ?? c;
      this.locked = null;
      await held`SELECT pg_advisory_unlock(hashtext(${this.lockKey()}))`.catch(() => {});
    }
  }

  /** The head row; when the database is unreachable, the last head seen (reads go on). */
  async head(): Promise<JournalHead | null> {
    if (!this.locked && !this.health.reachable && Date.now() - this.failedAt < 1000 && this.lastHead) {
      return this.lastHead;
    }
    try {
      const c = await this.conn();
      const rows = await c`SELECT gen, head_seq FROM zpm_memories WHERE memory = ${this.memory}`;
      this.noteOk();
      this.lastHead = rows.length ? { generation: String(rows[0].gen), end: Number(rows[0].head_seq) } : null;
      return this.lastHead;
    } catch (e) {
      if (this.locked || serverReported(e)) this.fail("reading the head", e);
      this.noteFailure(e);
      if (this.lastHead) return this.lastHead;
      this.fail("reading the head", e);
    }
  }

  /** Transactions after sequence number `from` in the active generation (one statement). */
  async read(from: number): Promise<JournalRead> {
    let rows;
    try {
      const c = await this.conn();
      rows = await c`
        SELECT m.gen, m.head_seq, j.seq, j.ts, j.records, j.crc
        FROM zpm_memories m LEFT JOIN zpm_journal j
          ON j.memory = m.memory AND j.gen = m.gen AND j.seq > ${from}
        WHERE m.memory = ${this.memory} ORDER BY j.seq`;
      this.noteOk();
    } catch (e) {
      this.fail("reading the journal", e);
    }
    const read = journalRead(rows, from);
    if (read.head) this.lastHead = read.head;
    return read;
  }

  /** Run `fn` in one transaction with synchronous commit on `c` (BEGIN … COMMIT; ROLLBACK on error). */
  private async txn(c: Conn, fn: (tx: Conn) => Promise<void>): Promise<void> {
    if (c === this.sql) {
      await this.sql.begin(async (tx) => {
        await tx`SET LOCAL synchronous_commit = on`;
        await fn(tx as unknown as Conn);
      });
      return;
    }
    try {
      await c`BEGIN`;
      await c`SET LOCAL synchronous_commit = on`;
      await fn(c);
      await c`COMMIT`;
    } catch (e) {
      await c`ROLLBACK`.catch(() => {});
      throw e;
    }
  }

  private requireLock(what: string): Conn {
    if (!this.locked) throw new Error(`${what} must be called inside withLock(true, ...)`);
    return this.locked;
  }

  /** Insert the transaction as the next row, move the head and notify, in one synchronous COMMIT. */
  async append(t: NewTransaction): Promise<number> {
    const c = this.requireLock("append");
    const text = JSON.stringify(t.records);
    const crc = crc32c(new TextEncoder().encode(text));
    const txid = crypto.randomUUID();
    try {
      await this.txn(c, async (tx) => {
        await tx`INSERT INTO zpm_memories (memory, gen, head_seq, last_seq)
                 VALUES (${this.memory}, 1, 0, 0) ON CONFLICT (memory) DO NOTHING`;
        const moved = await tx`UPDATE zpm_memories SET head_seq = ${t.seq}, last_seq = ${t.seq}
                 WHERE memory = ${this.memory} AND last_seq < ${t.seq} RETURNING gen`;
        if (moved.length === 0) {
          throw new PgStoreError(
            `PostgreSQL store ${this.location}: transaction ${t.seq} is not newer than the stored journal ` +
              "(another server committed first); nothing was written",
          );
        }
        await tx`INSERT INTO zpm_journal (memory, seq, gen, ts, records, crc, txid)
                 VALUES (${this.memory}, ${t.seq}, ${moved[0].gen}, ${t.ts}, ${text}, ${crc}, ${txid})`;
        await tx`SELECT pg_notify(${CHANNEL}, ${
          JSON.stringify({ m: this.memory, g: String(moved[0].gen), s: t.seq })
        })`;
      });
      this.noteOk();
    } catch (e) {
      if (e instanceof PgStoreError) throw e;
      // Whatever failed (a lost connection, a terminated backend), the COMMIT may have landed: look.
      if (!(await this.resolve(txid, e))) this.fail(`committing transaction ${t.seq}`, e);
    }
    return t.seq;
  }

  /**
   * Resolve an append whose outcome was lost with the connection: take the lock again on a new
   * connection (granted only once the old session is gone), then look the transaction id up.
   * The new connection becomes the held lock. True when the transaction is stored.
   */
  private async resolve(txid: string, cause: unknown): Promise<boolean> {
    const deadline = Date.now() + RESOLVE_MS;
    for (;;) {
      try {
        const c = await this.acquire();
        this.locked = c;
        const rows = await c`SELECT seq FROM zpm_journal WHERE memory = ${this.memory} AND txid = ${txid}`;
        this.noteOk();
        return rows.length > 0;
      } catch (e) {
        this.noteFailure(e);
        if (Date.now() > deadline) {
          const why = `lost during a commit (${causeText(cause)}), unreachable since (${causeText(e)})`;
          throw new PgStoreError(
            `PostgreSQL store ${this.location}: ${why}; whether the change landed is unknown: query to check.`,
          );
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** Rows cannot tear: nothing to cut (never deletes a row that may have landed). */
  cutTail = (_goodEnd: number) => Promise.resolve(`${this.location} (nothing cut: rows cannot tear)`);
  /** Nothing to do: rows have no line terminators. */
  ensureFinalNewline = () => Promise.resolve();

  /** Archive the active generation and start the next, empty one. */
  async rotate(): Promise<void> {
    const c = this.requireLock("rotate");
    try {
      await this.txn(c, async (tx) => {
        await tx`INSERT INTO zpm_memories (memory, gen, head_seq, last_seq)
                 VALUES (${this.memory}, 1, 0, 0) ON CONFLICT (memory) DO NOTHING`;
        const [{ gen }] = await tx`UPDATE zpm_memories SET gen = gen + 1, head_seq = 0
                 WHERE memory = ${this.memory} RETURNING gen`;
        await tx`INSERT INTO zpm_archives (memory, gen, archived_ns)
                 SELECT ${this.memory}, ${Number(gen) - 1}, GREATEST(${String(nowNs())}::bigint,
                   COALESCE(max(archived_ns) + 1, 0)) FROM zpm_archives WHERE memory = ${this.memory}`;
        await tx`SELECT pg_notify(${CHANNEL}, ${JSON.stringify({ m: this.memory, g: String(gen), s: 0 })})`;
      });
    } catch (e) {
      this.fail("rotating the journal", e);
    }
  }

  /** Delete archived generations (and their rows) older than `keepNewerThanNs`. */
  async reap(keepNewerThanNs: bigint): Promise<string[]> {
    const gone = await this.listArchives().then((a) => a.filter((x) => x.ns < keepNewerThanNs));
    const c = await this.conn();
    try {
      await this.txn(c, async (tx) => {
        for (const a of gone) {
          const gen = a.name.replace(/^journal-gen(\d+)-.*/, "$1");
          await tx`DELETE FROM zpm_journal WHERE memory = ${this.memory} AND gen = ${gen}`;
          await tx`DELETE FROM zpm_archives WHERE memory = ${this.memory} AND gen = ${gen}`;
        }
      });
    } catch (e) {
      this.fail("reaping archives", e);
    }
    return gone.map((a) => a.name);
  }

  /** Archived generations, oldest first, named `journal-gen<gen>-<ns>`. */
  async listArchives(): Promise<JournalArchive[]> {
    try {
      const c = await this.conn();
      const rows = await c`SELECT gen, archived_ns FROM zpm_archives WHERE memory = ${this.memory}
                           ORDER BY archived_ns`;
      return rows.map((r) => ({ name: `journal-gen${r.gen}-${r.archived_ns}`, ns: BigInt(r.archived_ns) }));
    } catch (e) {
      this.fail("listing archives", e);
    }
  }

  /** Snapshots of this memory, newest first by header (ns, seq, name). */
  async listSnapshots(): Promise<SnapshotInfo[]> {
    let rows;
    try {
      const c = await this.conn();
      rows = await c`SELECT name, split_part(body, E'\n', 1) AS first, octet_length(body) AS size
                     FROM zpm_snapshots WHERE memory = ${this.memory}`;
    } catch (e) {
      this.fail("listing snapshots", e);
    }
    return snapshotInfos(rows, this.location);
  }

  /** The text of snapshot `file`, or null. */
  async readSnapshot(file: string): Promise<string | null> {
    try {
      const c = await this.conn();
      const rows = await c`SELECT body FROM zpm_snapshots WHERE memory = ${this.memory} AND name = ${file}`;
      return rows.length ? String(rows[0].body) : null;
    } catch (e) {
      this.fail("reading a snapshot", e);
    }
  }

  /** Insert or replace snapshot `file` in one synchronous transaction. */
  async writeSnapshot(file: string, text: string): Promise<SnapshotInfo | null> {
    const header = parseSnapshotHeader(text.slice(0, Math.max(0, text.indexOf("\n"))));
    try {
      const c = await this.conn();
      await this.txn(c, async (tx) => {
        await tx`INSERT INTO zpm_snapshots (memory, name, ns, seq, body)
                 VALUES (${this.memory}, ${file}, ${String(header?.ns ?? 0n)}, ${
          header?.seq ?? null
        }, ${text})
                 ON CONFLICT (memory, name) DO UPDATE SET ns = EXCLUDED.ns, seq = EXCLUDED.seq, body = EXCLUDED.body`;
      });
    } catch (e) {
      this.fail("writing a snapshot", e);
    }
    return (await this.listSnapshots()).find((s) => s.name === file) ?? null;
  }

  /** True when the memory holds any journal row or snapshot (migration refuses such a target). */
  async holdsData(): Promise<boolean> {
    const c = await this.conn();
    const rows = await c`SELECT (SELECT count(*) FROM zpm_journal WHERE memory = ${this.memory})
                           + (SELECT count(*) FROM zpm_snapshots WHERE memory = ${this.memory}) AS n`;
    return Number(rows[0].n) > 0;
  }

  /** Close every connection. */
  async close(): Promise<void> {
    await this.sql.end({ timeout: 1 }).catch(() => {});
    await this.lockSql.end({ timeout: 1 }).catch(() => {});
  }
}
export { PgStoreError } from "./pg_errors.ts";
