/** Persistence tools: save/restore/list snapshots and the persistence status. */
import { DEFAULT_MEMORY } from "../project/memory_location.ts";
import type { KnowledgeBase } from "../core/knowledge_base.ts";
import type { ProgressListener } from "../core/progress.ts";
import { use } from "./engine_calls.ts";
import type { PgJournalStore } from "../persistence/pg_store.ts";
import { defineTool, type Hints, ok, type ToolSpec } from "./types.ts";

/** What distinguishes save_snapshot from restore_snapshot; everything else is shared. */
interface SnapshotAction {
  name: string;
  description: string;
  nameDescription: string;
  hints: Hints;
  /** Past participle used in the success text ("saved", "restored"). */
  done: string;
  /** The knowledge-base call, returning how many clauses moved; a thrown error is `ExecutionFailed: <message>`. */
  act: (kb: KnowledgeBase, snapshot: string, listener?: ProgressListener) => Promise<number>;
}

/** A tool that acts on the named snapshot of the target memory (write access). */
function snapshotTool(s: SnapshotAction): ToolSpec {
  return defineTool({
    name: s.name,
    description: s.description,
    params: [{ name: "name", type: "string", required: true, description: s.nameDescription }],
    hints: s.hints,
    memory: "write",
    async run(ctx, a) {
      const clauses = await s.act(await use(ctx, "write"), a.name, ctx.progress);
      // Upstream's text first; the count is an addition in its own block.
      return ok(`Snapshot '${a.name}' ${s.done} successfully.`, `${clauses} clause(s) ${s.done}.`);
    },
  });
}

/** save_snapshot: write the whole knowledge base as a named snapshot and start a fresh journal. */
export const saveSnapshot = snapshotTool({
  name: "save_snapshot",
  description: "Save the whole knowledge base as a named snapshot and start a fresh journal.",
  nameDescription: "Snapshot name: letters, digits, '_', '-', '.'. Example: before-refactor",
  hints: { readOnly: false, destructive: false, idempotent: true },
  done: "saved",
  act: (kb, name, listener) => kb.saveSnapshot(name, listener),
});

/** restore_snapshot: replace the knowledge base with a validated snapshot, durably. */
export const restoreSnapshot = snapshotTool({
  name: "restore_snapshot",
  description:
    "Replace the knowledge base with a saved snapshot (validated first; the restored state is durable).",
  nameDescription: "Snapshot name. Example: before-refactor",
  hints: { readOnly: false, destructive: true, idempotent: false },
  done: "restored",
  act: (kb, name, listener) => kb.restoreSnapshot(name, listener),
});

/** list_snapshots: the target memory's snapshot file names, newest first. */
export const listSnapshotsTool = defineTool({
  name: "list_snapshots",
  description: "List saved snapshots, newest first.",
  params: [],
  hints: { readOnly: true, destructive: false, idempotent: true },
  memory: "read",
  async run(ctx) {
    const snaps = await (await use(ctx, "read")).snapshots();
    return ok(`Snapshots: [${snaps.map((s) => s.name).join(", ")}]`);
  },
});

/** get_persistence_status: status, directory, last snapshot, journal size and damage of `default`. */
export const getPersistenceStatus = defineTool({
  name: "get_persistence_status",
  description:
    "Report the persistence status of the default memory: status, directory, last snapshot, journal size.",
  params: [],
  hints: { readOnly: true, destructive: false, idempotent: true },
  async run(ctx) {
    const kb = await ctx.project.memory(DEFAULT_MEMORY);
    await kb.refresh();
    const snaps = await kb.snapshots();
    const journal = await kb.journalSize();
    const lines = [
      `status: ${kb.damage ? "degraded" : kb.status}`,
      `dir: ${kb.opts.dataDir}`,
      `last_snapshot: ${snaps[0]?.name ?? "none"}`,
      `journal_size: ${journal.size} ${journal.unit}`,
    ];
    if (kb.status === "degraded") lines.push(`reason: ${kb.degradedReason}`);
    if (kb.damage) {
      lines.push(
        `damaged: ${kb.damage.file} byte ${kb.damage.offset}: ${kb.damage.reason}; ${kb.damage.validAfter} valid transaction(s) after it; writes refused; run \`zpm doctor --repair\``,
      );
    }
    // Only the database store reports health (a type-only import keeps its client from loading here).
    const store = kb.opts.store;
    if (store && "health" in store) lines.push(...pgStatusLines(store as PgJournalStore));
    if (ctx.project.manifestProblem) lines.push(`warning: ${ctx.project.manifestProblem}`);
    for (const w of kb.warnings.slice(-10)) lines.push(`warning: ${w}`);
    return ok(lines.join("\n"));
  },
});

/** zpm addition for a database-backed memory: the store, its health and how fresh its notifications are. */
export function pgStatusLines(store: PgJournalStore): string[] {
  const h = store.health;
  const notify = h.lastNotifyAt === null ? "none yet" : `${Date.now() - h.lastNotifyAt} ms ago`;
  return [
    `store: ${store.location}`,
    `store_health: ${h.reachable ? "reachable" : `unreachable (${h.lastError}); reads use the last state`}`,
    `store_last_notification: ${notify}`,
  ];
}
