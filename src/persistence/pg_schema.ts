/**
 * The PostgreSQL store's tables, created on first use (idempotent, serialised by an advisory lock so
 * that servers starting together do not race on `CREATE TABLE`). Plain types and statements that
 * PostgreSQL-compatible databases also accept; only the locks and LISTEN/NOTIFY are PostgreSQL's.
 *
 * - `zpm_memories`: one row per memory: the active generation, the last sequence number of that
 *   generation (`head_seq`, the head position; 0 when empty) and the last sequence number ever.
 * - `zpm_journal`: one row per transaction, primary key (memory, seq); `txid` resolves commits whose
 *   outcome was lost with the connection.
 * - `zpm_archives`: archived generations (their rows stay in `zpm_journal` until reaped).
 * - `zpm_snapshots`: snapshot texts by (memory, name), with the sequence number they cover.
 *
 * @module
 */
import type { Sql } from "postgres";

/** Advisory lock key that serialises schema creation. */
const SCHEMA_LOCK = 7_265_001;

/** The statements that create the schema. */
export const SCHEMA: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS zpm_memories (
     memory text PRIMARY KEY, gen bigint NOT NULL, head_seq bigint NOT NULL, last_seq bigint NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS zpm_journal (
     memory text NOT NULL, seq bigint NOT NULL, gen bigint NOT NULL, ts bigint NOT NULL,
     records text NOT NULL, crc bigint NOT NULL, txid uuid NOT NULL, PRIMARY KEY (memory, seq))`,
  `CREATE INDEX IF NOT EXISTS zpm_journal_txid ON zpm_journal (txid)`,
  `CREATE TABLE IF NOT EXISTS zpm_archives (
     memory text NOT NULL, gen bigint NOT NULL, archived_ns bigint NOT NULL, PRIMARY KEY (memory, gen))`,
  `CREATE TABLE IF NOT EXISTS zpm_snapshots (
     memory text NOT NULL, name text NOT NULL, ns bigint NOT NULL, seq bigint, body text NOT NULL,
     PRIMARY KEY (memory, name))`,
];

/** Create the tables when missing. */
export async function ensureSchema(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`;
    for (const stmt of SCHEMA) await tx.unsafe(stmt);
  });
}
