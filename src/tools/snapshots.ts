/** Persistence tools: save/restore/list snapshots and the persistence status. */
import { PersistenceError } from "../core/knowledge_base.ts";
import { reqString } from "./args.ts";
import { isResult, target } from "./engine_calls.ts";
import { ok, ToolError, type ToolSpec } from "./types.ts";

function asToolError(e: unknown): never {
  if (e instanceof PersistenceError || e instanceof Error) throw new ToolError("ExecutionFailed", e.message);
  throw e;
}

/** save_snapshot */
export const saveSnapshot: ToolSpec = {
  name: "save_snapshot",
  description: "Save the whole knowledge base as a named snapshot and start a fresh journal.",
  params: [{
    name: "name",
    type: "string",
    required: true,
    description: "Snapshot name: letters, digits, '_', '-', '.'. Example: before-refactor",
  }],
  hints: { readOnly: false, destructive: false, idempotent: true },
  memory: "write",
  async run(ctx, args) {
    const name = reqString(args, "name");
    const kb = await target(ctx, "write");
    if (isResult(kb)) return kb;
    try {
      await kb.saveSnapshot(name);
    } catch (e) {
      asToolError(e);
    }
    return ok(`Snapshot '${name}' saved successfully.`);
  },
};

/** restore_snapshot */
export const restoreSnapshot: ToolSpec = {
  name: "restore_snapshot",
  description:
    "Replace the knowledge base with a saved snapshot (validated first; the restored state is durable).",
  params: [{
    name: "name",
    type: "string",
    required: true,
    description: "Snapshot name. Example: before-refactor",
  }],
  hints: { readOnly: false, destructive: true, idempotent: false },
  memory: "write",
  async run(ctx, args) {
    const name = reqString(args, "name");
    const kb = await target(ctx, "write");
    if (isResult(kb)) return kb;
    try {
      await kb.restoreSnapshot(name);
    } catch (e) {
      asToolError(e);
    }
    return ok(`Snapshot '${name}' restored successfully.`);
  },
};

/** list_snapshots */
export const listSnapshotsTool: ToolSpec = {
  name: "list_snapshots",
  description: "List saved snapshots, newest first.",
  params: [],
  hints: { readOnly: true, destructive: false, idempotent: true },
  memory: "read",
  async run(ctx) {
    const kb = await target(ctx, "read");
    if (isResult(kb)) return kb;
    const snaps = await kb.snapshots();
    return ok(`Snapshots: [${snaps.map((s) => s.name).join(", ")}]`);
  },
};

/** get_persistence_status */
export const getPersistenceStatus: ToolSpec = {
  name: "get_persistence_status",
  description:
    "Report the persistence status of the default memory: status, directory, last snapshot, journal size.",
  params: [],
  hints: { readOnly: true, destructive: false, idempotent: true },
  async run(ctx) {
    const kb = await ctx.project.memory("default");
    await kb.refresh();
    const snaps = await kb.snapshots();
    const lines = [
      `status: ${kb.damage ? "degraded" : kb.status}`,
      `dir: ${kb.opts.dataDir}`,
      `last_snapshot: ${snaps[0]?.name ?? "none"}`,
      `journal_size: ${await kb.journalSize()} bytes`,
    ];
    if (kb.status === "degraded") lines.push(`reason: ${kb.degradedReason}`);
    if (kb.damage) {
      lines.push(
        `damaged: ${kb.damage.file} byte ${kb.damage.offset}: ${kb.damage.reason}; ${kb.damage.validAfter} valid transaction(s) after it; writes refused; run \`zpm doctor --repair\``,
      );
    }
    if (ctx.project.manifestProblem) lines.push(`warning: ${ctx.project.manifestProblem}`);
    for (const w of kb.warnings.slice(-10)) lines.push(`warning: ${w}`);
    return ok(lines.join("\n"));
  },
};
