/**
 * What a token may do with a tool call: read-only tokens call only tools whose hints say read-only;
 * memory-limited tokens reach only their memories — through the `memory` argument, `__all__`, and the
 * `name:` cross-memory prefix of query goals — and cannot manage memories.
 */
import type { Project } from "../project/project.ts";
import { targetMemory } from "../project/memory_location.ts";
import { crossMemoryGoal } from "../tools/queries.ts";
import type { ToolSpec } from "../tools/types.ts";
import type { Grant } from "./auth.ts";

/** Tools that need no memory and are safe for every token. */
const MEMORYLESS_OK = new Set(["echo", "list_memories"]);

/** Why `grant` may not make this call, or null when it may. */
export function refusal(grant: Grant, tool: ToolSpec, args: unknown, project: Project): string | null {
  if (grant.mode === "ro" && !tool.hints.readOnly) {
    return `Forbidden: token '${grant.name}' is read-only and ${tool.name} changes the knowledge base. ` +
      "Use a token created with --mode rw.";
  }
  const allowed = grant.memories;
  if (!allowed) return null;
  const a = args && typeof args === "object" && !Array.isArray(args) ? args as Record<string, unknown> : {};
  if (!tool.memory) {
    if (MEMORYLESS_OK.has(tool.name)) return null;
    return `Forbidden: token '${grant.name}' is limited to memories ${
      allowed.join(", ")
    } and cannot call ${tool.name}.`;
  }
  const target = targetMemory(a.memory);
  const targets = [target];
  const cross = typeof a.goal === "string" ? crossMemoryGoal(target, a.goal, project) : null;
  if (cross) targets.push(cross.memory);
  const denied = targets.find((m) => !allowed.includes(m));
  if (denied === undefined) return null;
  return `Forbidden: token '${grant.name}' may use only memories ${allowed.join(", ")}, not '${denied}'.`;
}
