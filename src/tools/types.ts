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
}

/** One tool: the single source of truth for MCP, the CLI and help. */
export interface ToolSpec {
  name: string;
  /** One imperative sentence (plus usage conventions the model needs). */
  description: string;
  params: Param[];
  hints: Hints;
  run(ctx: ToolContext, args: Args): Promise<ToolResult>;
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
