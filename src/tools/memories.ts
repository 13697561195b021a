/** Memory tools: create, list, mount and unmount isolated knowledge bases. */
import { isUserManaged } from "../project/memory_location.ts";
import { MemoryError } from "../project/memory_location.ts";
import { defineTool, ok, type Param, refuse } from "./types.ts";

/** Run a project call; a `MemoryError` becomes its plain message (other errors: ExecutionFailed). */
async function memoryCall<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof MemoryError) throw refuse(e.message);
    throw e;
  }
}

/** The optional `scope` argument: "" or missing is project; another value is "Invalid scope: <v>". */
const SCOPE = {
  name: "scope",
  type: "string",
  required: false,
  enum: ["project", "global"],
  default: "project",
  outsideEnum: (s: string) => `Invalid scope: ${s}`,
  description: "project (under .zpm/kb) or global (shared by every project of this user). Example: project",
} as const satisfies Param;

/** create_memory: create a memory (knowledge base and journal) and mount it read-write. */
export const createMemory = defineTool({
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
  async run(ctx, a) {
    // A mounted name (in either scope) is taken: creating it again would re-point the mount while
    // the memory's engine keeps serving the old directory.
    await ctx.project.refresh();
    if (isUserManaged(a.name) && ctx.project.entry(a.name)) throw refuse(`Memory already exists: ${a.name}`);
    await memoryCall(() => ctx.project.createMemory(a.name, a.scope));
    return ok(`Memory created: ${a.name}`);
  },
});

/** list_memories: mounted memories and unmounted ones found on disk, with scope, mode and problems. */
export const listMemories = defineTool({
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
    return ok(...texts);
  },
});

/** mount_memory: mount an existing memory or change its mode; a mode other than "ro" means rw. */
export const mountMemory = defineTool({
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
      default: "rw",
      outsideEnum: "default",
      description: "rw (default) or ro (every mutation is refused). Example: ro",
    },
    SCOPE,
  ],
  hints: { readOnly: false, destructive: false, idempotent: false },
  async run(ctx, a) {
    const e = await memoryCall(() => ctx.project.mountMemory(a.name, a.mode, a.scope));
    return ok(`Memory mounted: ${a.name} (${e.mode})`);
  },
});

/** unmount_memory: forget a mount; the memory's files stay and it can be mounted again. */
export const unmountMemory = defineTool({
  name: "unmount_memory",
  description: "Unmount a memory; its files stay on disk and it can be mounted again.",
  params: [{ name: "name", type: "string", required: true, description: "Memory name. Example: notes" }],
  hints: { readOnly: false, destructive: false, idempotent: false },
  async run(ctx, a) {
    await memoryCall(() => ctx.project.unmountMemory(a.name));
    return ok(`Memory unmounted: ${a.name}`);
  },
});
