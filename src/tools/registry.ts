/**
 * The tool registry: the single source of truth for every tool. MCP `tools/list`, `tools/call`,
 * the CLI sub-commands and their help are all generated from this list, in this order.
 */
import { clearContext, defineRule, forgetFact, rememberFact, updateFact, upsertFact } from "./knowledge.ts";
import {
  echo,
  explainWhy,
  getKnowledgeSchema,
  queryLogic,
  traceDependency,
  verifyConsistency,
} from "./queries.ts";
import {
  assumeFact,
  getBeliefStatus,
  getJustification,
  listAssumptions,
  retractAssumption,
  retractAssumptions,
} from "./tms.ts";
import { getPersistenceStatus, listSnapshotsTool, restoreSnapshot, saveSnapshot } from "./snapshots.ts";
import { createMemory, listMemories, mountMemory, unmountMemory } from "./memories.ts";
import { findPredicateReferences, getKbOverview, renamePredicate } from "./refactor.ts";
import { exportKnowledge, rememberFacts } from "./bulk.ts";
import type { ToolSpec } from "./types.ts";

/** Every tool, in upstream's inventory order. */
export const TOOLS: readonly ToolSpec[] = [
  echo,
  rememberFact,
  defineRule,
  queryLogic,
  traceDependency,
  verifyConsistency,
  explainWhy,
  getKnowledgeSchema,
  forgetFact,
  clearContext,
  updateFact,
  upsertFact,
  assumeFact,
  retractAssumption,
  getBeliefStatus,
  getJustification,
  listAssumptions,
  retractAssumptions,
  saveSnapshot,
  restoreSnapshot,
  listSnapshotsTool,
  getPersistenceStatus,
  createMemory,
  listMemories,
  mountMemory,
  unmountMemory,
  findPredicateReferences,
  renamePredicate,
  getKbOverview,
  // Additions to upstream's 29 tools (README "Differences from upstream zpm").
  rememberFacts,
  exportKnowledge,
];

/** Look a tool up by its MCP name. */
export function findTool(name: string): ToolSpec | undefined {
  return TOOLS.find((t) => t.name === name);
}

/** Call a tool with raw arguments; argument problems come back as upstream's tool errors. */
export { callTool } from "./call.ts";
