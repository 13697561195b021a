/**
 * `completion/complete` for prompt and resource-template arguments: `memory` completes memory names,
 * `snapshot` snapshot names, `predicate` predicate names (name/arity) of the memory given in context.
 * Unknown references or arguments complete to nothing (an empty list, not an error).
 */
// @deno-types="@modelcontextprotocol/sdk/server/index"
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
// @deno-types="@modelcontextprotocol/sdk/types"
import { CompleteRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { type MemoryReader, predicateNames, snapshotNames, visibleMemories } from "./memory_access.ts";
import { targetMemory } from "../project/memory_location.ts";

/** Most values one answer carries (the spec's limit). */
const MAX_VALUES = 100;

interface CompleteParams {
  argument: { name: string; value: string };
  context?: { arguments?: Record<string, string> };
}

/** Register `completion/complete` for one session. */
export function registerCompletion(server: Server, r: MemoryReader): void {
  server.setRequestHandler(CompleteRequestSchema, async (req: { params: CompleteParams }) => {
    const { name, value } = req.params.argument;
    const memory = targetMemory(req.params.context?.arguments?.memory?.trim());
    const visible = await visibleMemories(r);
    let candidates: string[] = [];
    if (name === "memory") candidates = visible;
    else if (visible.includes(memory) && name === "snapshot") candidates = await snapshotNames(r, memory);
    else if (visible.includes(memory) && name === "predicate") candidates = await predicateNames(r, memory);
    const values = candidates.filter((c) => c.startsWith(value));
    return {
      completion: {
        values: values.slice(0, MAX_VALUES),
        total: values.length,
        hasMore: values.length > MAX_VALUES,
      },
    };
  });
}
