/** The shape of a tool in the registry, shared by MCP, the CLI and tests. */
import type { Project } from "../project/project.ts";

/** JSON type of a tool argument. */
export type ParamType = "string" | "integer" | "boolean";

/** One tool argument; drives the JSON Schema, the CLI flag and argument checking. */
export interface Param {
  /** Argument name (snake_case); the CLI flag is its kebab-case form. */
  name: string;
  type: ParamType;
  required: boolean;
  /** What the argument means, ending with an example value. */
  description: string;
  /** On the CLI this argument is positional instead of a flag. */
  positional?: boolean;
  /** Allowed values (strings). */
  enum?: string[];
  /** Bounds for integers. */
  minimum?: number;
  maximum?: number;
}

/** MCP tool annotations (upstream §7.0). */
export interface Hints {
  readOnly: boolean;
  destructive: boolean;
  idempotent: boolean;
}

/** A tool's answer: text blocks, and whether it is an error result. */
export interface ToolResult {
  texts: string[];
  isError: boolean;
}

/** Arguments as received (a JSON object, possibly with wrong types). */
export type Args = Record<string, unknown>;

/** Everything a handler may use. */
export interface ToolContext {
  project: Project;
  /** The call's arguments (the `memory` argument selects the target memory). */
  args: Args;
}

/** One tool: the single source of truth for MCP, the CLI and help. */
export interface ToolSpec {
  name: string;
  /** One imperative sentence (plus usage conventions the model needs). */
  description: string;
  params: Param[];
  hints: Hints;
  /** Works on a memory chosen by the optional `memory` argument ("read" or "write" access). */
  memory?: "read" | "write";
  run(ctx: ToolContext, args: Args): Promise<ToolResult>;
}

/** The optional `memory` argument shared by memory-aware tools. */
export const MEMORY_PARAM: Param = {
  name: "memory",
  type: "string",
  required: false,
  description: "Memory to use (default: default). Example: notes",
};

/** A tool's parameters, including `memory` for memory-aware tools. */
export function paramsOf(tool: ToolSpec): Param[] {
  return tool.memory ? [...tool.params, MEMORY_PARAM] : tool.params;
}

/** Upstream's tool-error channel: the text starts with the error name. */
export class ToolError extends Error {
  constructor(readonly code: "InvalidArguments" | "ExecutionFailed", detail: string) {
    super(`${code}: ${detail}`);
  }
}

/** A successful result with one text block. */
export function ok(...texts: string[]): ToolResult {
  return { texts, isError: false };
}

/** An error result (semantic failure) with a human message. */
export function fail(text: string): ToolResult {
  return { texts: [text], isError: true };
}
