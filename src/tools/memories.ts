/** Memory tools: create, list, mount and unmount isolated knowledge bases (§7.23–7.26). */
import { MemoryError } from "../project/project.ts";
import { optString, reqString } from "./args.ts";
import { fail, ok, ToolError, type ToolResult, type ToolSpec } from "./types.ts";

function scopeOf(args: Record<string, unknown>): "project" | "global" | ToolResult {
  const s = optString(args, "scope") ?? "project";
  if (s === "" || s === "project") return "project";
  if (s === "global") return "global";
  return fail(`Invalid scope: ${s}`);
}

function memoryFailure(e: unknown): ToolResult {
  if (e instanceof MemoryError) return fail(e.message);
  throw new ToolError("ExecutionFailed", e instanceof Error ? e.message : String(e));
}

const SCOPE = {
  name: "scope",
  type: "string" as const,
  required: false,
  enum: ["project", "global"],
  description: "project (under .zpm/kb) or global (shared by every project of this user). Example: project",
};

/** create_memory */
export const createMemory: ToolSpec = {
  name: "create_memory",
  description: "Create a new isolated memory (its own knowledge base and journal) and mount it read-write.",
  params: [
    {
      name: "name",
      type: "string",
      required: true,
      description: "Memory name, [a-z][A-Za-z0-9_]*. Example: notes",
    },
    SCOPE,
  ],
  hints: { readOnly: false, destructive: false, idempotent: false },
  async run(ctx, args) {
    const name = reqString(args, "name");
    const scope = scopeOf(args);
    if (typeof scope !== "string") return scope;
    // A mounted name (in either scope) is taken: creating it again would re-point the mount while
    // the memory's engine keeps serving the old directory.
    await ctx.project.refresh();
    if (name !== "default" && ctx.project.entry(name)) return fail(`Memory already exists: ${name}`);
    try {
      await ctx.project.createMemory(name, scope);
    } catch (e) {
      return memoryFailure(e);
    }
    return ok(`Memory created: ${name}`);
  },
};

/** list_memories */
export const listMemories: ToolSpec = {
  name: "list_memories",
  description: "List memories: the mounted ones and those on disk that are not mounted.",
  params: [],
  hints: { readOnly: true, destructive: false, idempotent: true },
  async run(ctx) {
    const all = await ctx.project.listMemories();
    if (all.length === 0) return ok("No memories mounted");
    const items = all.map((m) =>
      `${m.name} (scope=${m.scope}, mode=${m.mode}, mounted=${m.mounted}${
        m.problem ? `, problem=${m.problem}` : ""
      })`
    );
    const texts = [items.join(", ")];
    if (ctx.project.manifestProblem) texts.push(`warning: ${ctx.project.manifestProblem}`);
    return { texts, isError: false };
  },
};

/** mount_memory */
export const mountMemory: ToolSpec = {
  name: "mount_memory",
  description:
    "Mount an existing memory, or change the mode (rw/ro) of a mounted one; recorded in .zpm/mounts.json.",
  params: [
    { name: "name", type: "string", required: true, description: "Memory name. Example: notes" },
    {
      name: "mode",
      type: "string",
      required: false,
      enum: ["rw", "ro"],
      description: "rw (default) or ro (every mutation is refused). Example: ro",
    },
    SCOPE,
  ],
  hints: { readOnly: false, destructive: false, idempotent: false },
  async run(ctx, args) {
    const name = reqString(args, "name");
    const mode = optString(args, "mode") === "ro" ? "ro" : "rw";
    const scope = scopeOf(args);
    if (typeof scope !== "string") return scope;
    try {
      const e = await ctx.project.mountMemory(name, mode, scope);
      return ok(`Memory mounted: ${name} (${e.mode})`);
    } catch (e) {
      return memoryFailure(e);
    }
  },
};

/** unmount_memory */
export const unmountMemory: ToolSpec = {
  name: "unmount_memory",
  description: "Unmount a memory; its files stay on disk and it can be mounted again.",
  params: [{ name: "name", type: "string", required: true, description: "Memory name. Example: notes" }],
  hints: { readOnly: false, destructive: false, idempotent: false },
  async run(ctx, args) {
    const name = reqString(args, "name");
    try {
      await ctx.project.unmountMemory(name);
    } catch (e) {
      return memoryFailure(e);
    }
    return ok(`Memory unmounted: ${name}`);
  },
};
