/**
 * Prompts that help an agent use a memory well, each filled with the memory's current schema: modelling
 * facts and rules, recording a decision with its assumption, checking consistency, explaining a predicate.
 */
// @deno-types="@modelcontextprotocol/sdk/server/index"
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
// @deno-types="@modelcontextprotocol/sdk/types"
import {
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import { mayUse, type MemoryReader, readTool } from "./memory_access.ts";
import { targetMemory } from "../project/memory_location.ts";

interface PromptArg {
  name: string;
  description: string;
  required: boolean;
}

interface PromptDef {
  name: string;
  title: string;
  description: string;
  arguments: PromptArg[];
  text(args: Record<string, string>, schema: string): string;
}

const MEMORY_ARG: PromptArg = {
  name: "memory",
  description: "Memory to work in (default: default).",
  required: false,
};

/** The prompts, in `prompts/list` order. */
export const PROMPTS: readonly PromptDef[] = [
  {
    name: "model_knowledge",
    title: "Model knowledge as facts and rules",
    description:
      "How to store what you learn as Prolog facts and rules that fit the memory's current schema.",
    arguments: [{ name: "topic", description: "What you want to record.", required: false }, MEMORY_ARG],
    text: (a, schema) =>
      `You are storing knowledge${a.topic ? ` about ${a.topic}` : ""} in zpm memory '${a.memory}'.\n\n` +
      `Current schema (predicates, arity, kind, clause count):\n${schema}\n\n` +
      "Guidelines:\n" +
      "- Reuse existing predicates and argument orders above before inventing new ones.\n" +
      "- Store ground facts with remember_fact, e.g. depends_on(api, db).\n" +
      "- Store general knowledge as rules with define_rule, e.g. reaches(X,Y) :- depends_on(X,Y).\n" +
      "- Use lower-case atoms for entities and Capitalised variables in rules.\n" +
      "- Check the result with query_logic before relying on it.",
  },
  {
    name: "record_decision",
    title: "Record a decision with its assumption",
    description: "Record a decision that holds only while an assumption holds, so it can be retracted later.",
    arguments: [
      { name: "decision", description: "The decision as a Prolog fact, e.g. use(postgres).", required: true },
      { name: "assumption", description: "Why, as an assumption name, e.g. needs_sql.", required: true },
      MEMORY_ARG,
    ],
    text: (a, schema) =>
      `Record the decision ${a.decision} in zpm memory '${a.memory}', justified by assumption ${a.assumption}.\n\n` +
      `Current schema:\n${schema}\n\n` +
      `1. Call assume_fact with fact "${a.decision}" and assumption "${a.assumption}".\n` +
      `2. Confirm with get_belief_status on "${a.decision}".\n` +
      `3. If the assumption stops holding, retract_assumption "${a.assumption}" withdraws the decision.`,
  },
  {
    name: "check_consistency",
    title: "Check the memory for contradictions",
    description: "Run zpm's consistency checks on a memory and explain what to fix.",
    arguments: [MEMORY_ARG],
    text: (a, schema) =>
      `Check zpm memory '${a.memory}' for problems.\n\nCurrent schema:\n${schema}\n\n` +
      "1. Call verify_consistency and list each violation it reports.\n" +
      "2. For each, use explain_why or get_justification to find its source.\n" +
      "3. Propose the smallest change (forget_fact, update_fact or retract_assumption) and make it only when asked.",
  },
  {
    name: "explain_predicate",
    title: "Explain one predicate",
    description: "Summarise how a predicate is defined and used in the memory.",
    arguments: [{ name: "predicate", description: "name/arity, e.g. likes/2.", required: true }, MEMORY_ARG],
    text: (a, schema) =>
      `Explain predicate ${a.predicate} of zpm memory '${a.memory}'.\n\nCurrent schema:\n${schema}\n\n` +
      `1. Call find_predicate_references for ${a.predicate}.\n` +
      `2. Query a few of its clauses with query_logic.\n3. Summarise what it means, who uses it, and gaps.`,
  },
];

/** Register `prompts/list` and `prompts/get` for one session. */
export function registerPrompts(server: Server, r: MemoryReader): void {
  server.setRequestHandler(ListPromptsRequestSchema, () => ({
    prompts: PROMPTS.map(({ name, title, description, arguments: args }) => ({
      name,
      title,
      description,
      arguments: args,
    })),
  }));
  server.setRequestHandler(
    GetPromptRequestSchema,
    async (req: { params: { name: string; arguments?: Record<string, string> } }) => {
      const p = PROMPTS.find((x) => x.name === req.params.name);
      if (!p) throw new McpError(ErrorCode.InvalidParams, `Prompt not found: ${req.params.name}`);
      const args = { ...(req.params.arguments ?? {}) };
      for (const a of p.arguments) {
        if (a.required && !args[a.name]?.trim()) {
          throw new McpError(ErrorCode.InvalidParams, `Prompt ${p.name} needs argument '${a.name}'`);
        }
      }
      args.memory = targetMemory(args.memory?.trim());
      if (!mayUse(r.grant, args.memory)) {
        throw new McpError(
          ErrorCode.InvalidParams,
          `Forbidden: this token may not use memory '${args.memory}'.`,
        );
      }
      const schema = await readTool(r, "get_knowledge_schema", { memory: args.memory }).catch((e: Error) => {
        throw new McpError(ErrorCode.InvalidParams, `Cannot read memory '${args.memory}': ${e.message}`);
      });
      return {
        description: p.description,
        messages: [{ role: "user" as const, content: { type: "text" as const, text: p.text(args, schema) } }],
      };
    },
  );
}
