/**
 * `zpm store migrate --memory M --to postgres://…`: copy a file-backed memory (its snapshots and the
 * journal after the newest one) into PostgreSQL, then point the manifest entry at the database. A
 * target memory that already holds data is refused; the files are kept as a backup.
 */
import type { Command } from "commander";
import { FileJournalStore } from "../persistence/file_store.ts";
import { isStoreUrl, redact } from "../persistence/pg_url.ts";
import { parseManifest } from "../project/manifest.ts";
import { DEFAULT_MEMORY, defaultEntry, locate } from "../project/memory_location.ts";
import { storeUrlFor } from "../project/memory_location.ts";
import type { Project } from "../project/project.ts";
import { log } from "../io/log.ts";
import { bootProject } from "./project_boot.ts";

/** Copy memory `name` of `project` into the database at `url`; returns a one-line summary. */
export async function migrateMemory(project: Project, name: string, url: string): Promise<string> {
  const entry = project.entry(name);
  if (!entry) throw new Error(`memory '${name}' is not mounted`);
  if (entry.store) throw new Error(`memory '${name}' is already database-backed (${entry.store})`);
  const loc = locate(project.paths, entry);
  const source = new FileJournalStore(loc.dataDir, loc.snapshotDir);
  const { PgJournalStore } = await import("../persistence/pg_store.ts");
  const target = new PgJournalStore(url, name);
  try {
    if (await target.holdsData()) {
      throw new Error(`${target.location} already holds data; nothing was copied. Pick another memory name.`);
    }
    const { scan } = await source.read(0);
    if (scan.damage) {
      throw new Error(
        `${source.location} is damaged (${scan.damage.reason}); run \`zpm doctor --repair\` first`,
      );
    }
    const snaps = await source.listSnapshots();
    for (const s of [...snaps].reverse()) {
      const text = await source.readSnapshot(s.name);
      if (text !== null) await target.writeSnapshot(s.name, text);
    }
    const base = snaps[0]?.header.seq ?? 0;
    const txs = scan.transactions.filter((t) => t.seq === null || t.seq > base);
    await target.withLock(true, async () => {
      let seq = base;
      for (const t of txs) await target.append({ seq: ++seq, ts: t.ts, records: t.records });
    });
    await project.setMemoryStore(name, url);
    return `Memory '${name}' migrated to ${target.location}: ${snaps.length} snapshot(s), ${txs.length} ` +
      `transaction(s). The files in ${loc.dataDir} are kept as a backup.`;
  } finally {
    await target.close();
  }
}

/**
 * `zpm doctor` lines for database-backed memories (the manifest's `store` entries and `ZPM_STORE_URL`
 * for the default memory): where each is, whether it answers, its generation, head and snapshots.
 */
export async function storeHealthLines(manifestPath: string): Promise<string[]> {
  let entries = [defaultEntry()];
  try {
    entries = parseManifest(await Deno.readTextFile(manifestPath));
    if (!entries.some((e) => e.name === DEFAULT_MEMORY)) entries.unshift(defaultEntry());
  } catch { /* no or bad manifest: the default memory only */ }
  const out: string[] = [];
  for (const e of entries) {
    const url = storeUrlFor(e);
    if (!url) continue;
    // The database client loads only when a memory lives in a database.
    const { PgJournalStore } = await import("../persistence/pg_store.ts");
    const store = new PgJournalStore(url, e.name);
    try {
      const head = await store.head();
      const snaps = await store.listSnapshots();
      out.push(
        `store ${e.name}: ${store.location}: reachable; generation ${head?.generation ?? "none"}, ` +
          `head seq ${head?.end ?? 0}, ${snaps.length} snapshot(s)`,
      );
    } catch (err) {
      out.push(`store ${e.name}: ${store.location}: UNREACHABLE: ${redact((err as Error).message)}`);
    } finally {
      await store.close();
    }
  }
  return out;
}

/** Add `zpm store migrate`; `setExit` records the exit code. */
export function registerStoreGroup(program: Command, setExit: (code: number) => void): void {
  const group = program.command("store").description("move a memory between the file and PostgreSQL stores");
  group.command("migrate").description("copy a file-backed memory into PostgreSQL")
    .requiredOption("--memory <name>", "memory to copy")
    .requiredOption("--to <url>", "postgres://user@host/db (password from PGPASSWORD or ~/.pgpass)")
    .action(async (opts: { memory: string; to: string }) => {
      if (!isStoreUrl(opts.to)) {
        log(`zpm store migrate: InvalidArguments: --to must be a postgres:// URL, got ${redact(opts.to)}`);
        setExit(1);
        return;
      }
      const project = await bootProject(program.opts().project, "one-shot");
      try {
        console.log(await migrateMemory(project, opts.memory, opts.to));
        setExit(0);
      } catch (e) {
        log(`zpm store migrate: ${redact((e as Error).message)}`);
        setExit(1);
      } finally {
        await project.close();
      }
    });
}
