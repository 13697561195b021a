/** The shape of a tool in the registry, shared by MCP, the CLI and tests. */
import type { ProgressListener } from "../core/progress.ts";
import type { Project } from "../project/project.ts";

/** JSON type of a tool argument; "string[]" is a JSON array of strings (a repeatable CLI flag). */
export type ParamType = "string" | "integer" | "boolean" | "string[]";

/**
 * A check on a string argument, run by `callTool` once the value is known to be a string.
 * InvalidArguments checks run together with the type checks (parameter by parameter, in declared
 * order); "message" checks run after all of those, in declared order, and refuse with a plain text.
 */
export interface StringCheck {
  /** True when the value is acceptable. */
  readonly ok: (value: string) => boolean;
  /** Where a refusal goes (see `ToolFailure`). */
  readonly channel: "InvalidArguments" | "message";
  /** The refusal text, without the channel prefix. */
  readonly text: (value: string) => string;
}

/**
 * One tool argument; drives the JSON Schema, the CLI flag and the argument checks in `callTool`.
 * Only name, type, required, description, enum, minimum and maximum reach the JSON Schema.
 * Upstream's conventions: a required string of the wrong type is refused; an optional
 * string or boolean of the wrong type counts as missing; a boolean is true for `true` or "true".
 */
export interface Param {
  /** Argument name (snake_case); the CLI flag is its kebab-case form. */
  readonly name: string;
  readonly type: ParamType;
  readonly required: boolean;
  /** What the argument means, ending with an example value. */
  readonly description: string;
  /** On the CLI this argument is positional instead of a flag. */
  readonly positional?: boolean;
  /** Allowed values (strings); "" counts as missing. See `outsideEnum` for other values. */
  readonly enum?: readonly string[];
  /** Bounds for integers, enforced as InvalidArguments. */
  readonly minimum?: number;
  readonly maximum?: number;
  /** The value a handler sees when the argument is missing (or counts as missing). */
  readonly default?: string | number | boolean;
  /**
   * A string outside `enum`: "default" counts as missing; a function gives the plain refusal text
   * (a "message" failure); when absent it is refused as InvalidArguments.
   */
  readonly outsideEnum?: "default" | ((value: string) => string);
  /** InvalidArguments text for a missing or wrongly typed value, instead of the standard one. */
  readonly typeError?: string;
  /** Most items a "string[]" argument may have (InvalidArguments past it). */
  readonly maxItems?: number;
  /** Further checks on a string value (see `StringCheck`). */
  readonly checks?: readonly StringCheck[];
}

/** MCP tool annotations (as upstream sets them). */
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

/** Arguments after `callTool` checked them against the tool's params. */
export type Validated = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

/** The value type a handler sees for one declared parameter. */
type ValueOf<P extends Param> = P["type"] extends "string"
  ? (P extends { enum: readonly (infer E extends string)[] } ? E : string)
  : P["type"] extends "integer" ? number
  : P["type"] extends "string[]" ? readonly string[]
  : boolean;

/** The typed, validated arguments of a tool with parameters `Ps` (optional ones may be undefined). */
export type ArgsOf<Ps extends readonly Param[]> = {
  readonly [P in Ps[number] as P["name"]]: P extends
    { required: true } | { default: unknown } | { type: "boolean" } ? ValueOf<P>
    : ValueOf<P> | undefined;
};

/** Everything a handler may use besides its arguments. */
export interface ToolContext {
  project: Project;
  /** The target memory: the `memory` argument, or "default" when it is missing, not a string or "". */
  memory: string;
  /** Told about long work (boot, snapshots) when the caller asked for progress. */
  progress?: ProgressListener;
  /** Lets the next queued call start once this call's write is queued for its group commit (MCP server). */
  yieldTurn?: () => void;
}

/** One tool: the single source of truth for MCP, the CLI and help. */
export interface ToolSpec {
  readonly name: string;
  /** One imperative sentence (plus usage conventions the model needs). */
  readonly description: string;
  readonly params: readonly Param[];
  readonly hints: Hints;
  /** Works on a memory chosen by the optional `memory` argument ("read" or "write" access). */
  readonly memory?: "read" | "write";
  /** Human-readable name for clients (MCP `title`); default: the name in words ("Remember fact"). */
  readonly title?: string;
  /**
   * The first text block is JSON of this shape: MCP clients also get it as `structuredContent`,
   * described by `outputSchema` (an array answer is wrapped as `{ "result": [...] }`).
   */
  readonly output?: ToolOutput;
  /** The handler: gets arguments already checked by `callTool`; refuses by throwing `ToolFailure`. */
  run(ctx: ToolContext, args: Validated): Promise<ToolResult>;
}

/** The JSON answer of a tool: an object (with an optional schema of its members) or an array. */
export type ToolOutput =
  | {
    readonly kind: "object";
    readonly properties?: Readonly<Record<string, unknown>>;
    readonly required?: readonly string[];
  }
  | { readonly kind: "array"; readonly items?: Readonly<Record<string, unknown>> };

/** A tool as written in a module: `run` receives arguments typed from its own `params`. */
export interface ToolDef<Ps extends readonly Param[]> extends Omit<ToolSpec, "params" | "run"> {
  readonly params: Ps;
  run(ctx: ToolContext, args: ArgsOf<Ps>): Promise<ToolResult>;
}

/** Turn a declaration into a registry entry; the `const` parameter keeps names and enums literal. */
export function defineTool<const Ps extends readonly Param[]>(def: ToolDef<Ps>): ToolSpec {
  return { ...def, run: (ctx, args) => def.run(ctx, args as ArgsOf<Ps>) };
}

/** The optional `memory` argument shared by memory-aware tools. */
export const MEMORY_PARAM: Param = {
  name: "memory",
  type: "string",
  required: false,
  description: "Target memory segment (optional, defaults to default memory)",
};

/** A tool's parameters, including `memory` for memory-aware tools (the JSON Schema and CLI order). */
export function paramsOf(tool: ToolSpec): readonly Param[] {
  return tool.memory ? [...tool.params, MEMORY_PARAM] : tool.params;
}

/** Where a failure is reported: upstream's two error names, or the tool's own plain message. */
export type FailureChannel = "InvalidArguments" | "ExecutionFailed" | "message";

/**
 * The one way a tool refuses or fails. `callTool` turns it into an error result whose text is
 * `InvalidArguments: <message>`, `ExecutionFailed: <message>`, or for "message" the text itself.
 */
export class ToolFailure extends Error {
  constructor(readonly channel: FailureChannel, message: string) {
    super(message);
  }
}

/** A failure reported as the tool's own plain error text (upstream's semantic failures). */
export function refuse(text: string): ToolFailure {
  return new ToolFailure("message", text);
}

/** A failure reported as `InvalidArguments: <detail>`. */
export function invalid(detail: string): ToolFailure {
  return new ToolFailure("InvalidArguments", detail);
}

/** A failure reported as `ExecutionFailed: <detail>`. */
export function execFailed(detail: string): ToolFailure {
  return new ToolFailure("ExecutionFailed", detail);
}

/** A successful result with the given text blocks. */
export function ok(...texts: string[]): ToolResult {
  return { texts, isError: false };
}
