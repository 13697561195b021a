/** Reading a memory for resources, prompts and completion: through the tool registry and the call queue. */
import { DEFAULT_MEMORY } from "../project/memory_location.ts";
import type { Project } from "../project/project.ts";
import { callTool, findTool } from "../tools/registry.ts";
import type { Grant } from "./auth.ts";
import type { CallQueue } from "./call_queue.ts";

/** What the resource, prompt and completion handlers of one session share. */
export interface MemoryReader {
  project: Project;
  queue: CallQueue;
  grant: Grant;
}

/** Run a read-only tool by name in the queue; returns its first text block, or throws its error text. */
export async function readTool(
  r: MemoryReader,
  name: string,
  args: Record<string, unknown>,
): Promise<string> {
  const tool = findTool(name);
  if (!tool) throw new Error(`internal: tool ${name} missing`);
  const res = await r.queue.run(() => callTool(tool, { project: r.project }, args));
  await r.project.barrier(); // the text may show writes of a group commit: send it once they are durable
  if (res.isError) throw new Error(res.texts.join("\n"));
  return res.texts.join("\n");
}

/** Names of the mounted memories this session may see, `default` first. */
export async function visibleMemories(r: MemoryReader): Promise<string[]> {
  const all = await r.queue.run(() => r.project.listMemories());
  const names = all.filter((m) => m.mounted && !m.problem).map((m) => m.name);
  if (!names.includes(DEFAULT_MEMORY)) names.unshift(DEFAULT_MEMORY);
  return names.filter((n) => mayUse(r.grant, n));
}

/** True when `grant` reaches memory `name`. */
export function mayUse(grant: Grant, name: string): boolean {
  return grant.memories === null || grant.memories.includes(name);
}

/** Predicate names of a memory's schema (name/arity), or [] when it cannot be read. */
export async function predicateNames(r: MemoryReader, memory: string): Promise<string[]> {
  try {
    const schema = JSON.parse(await readTool(r, "get_knowledge_schema", { memory })) as {
      predicates?: { name: string; arity: number }[];
    };
    return (schema.predicates ?? []).map((p) => `${p.name}/${p.arity}`);
  } catch {
    return [];
  }
}

/** Snapshot names (without .pl) of a memory, or [] when it cannot be read. */
export async function snapshotNames(r: MemoryReader, memory: string): Promise<string[]> {
  try {
    const kb = await r.queue.run(() => r.project.use(memory, "read"));
    return (await kb.snapshots()).map((s) => s.name.replace(/\.pl$/, ""));
  } catch {
    return [];
  }
}
