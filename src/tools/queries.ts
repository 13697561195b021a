/** Read-only tools: echo, query_logic, trace_dependency, verify_consistency, explain_why, schema. */
import type { Project } from "../project/project.ts";
import { isDefaultMemory } from "../project/memory_location.ts";
import { display, notBlank } from "./args.ts";
import { readOp } from "./engine_calls.ts";
import { defineTool, execFailed, ok, refuse, type ToolContext } from "./types.ts";
import type { OpArgs, OpReply } from "../engine/ops.ts";

const READ = { readOnly: true, destructive: false, idempotent: true };

/** echo: return `message` unchanged (connectivity check; no memory involved). */
export const echo = defineTool({
  name: "echo",
  description: "Echo back the input message",
  params: [{ name: "message", type: "string", required: true, description: "Any text. Example: hello" }],
  hints: READ,
  run(_ctx, a) {
    return Promise.resolve(ok(a.message));
  },
});

/**
 * query_logic: all bindings of a goal as a JSON array text (up to `limit`, plus a truncation note).
 * A leading `name:` that names a mounted memory runs the rest of the goal there.
 */
export const queryLogic = defineTool({
  name: "query_logic",
  description:
    "Execute a Prolog goal and return all variable bindings as JSON (one object per solution; [] when none). Read-only.",
  params: [
    {
      name: "goal",
      type: "string",
      required: true,
      description: "The goal, one term. Example: grandparent(tom, X)",
      checks: [notBlank("Goal must not be empty")],
    },
    {
      name: "limit",
      type: "integer",
      required: false,
      minimum: 1,
      maximum: 10000,
      description: "Most solutions to return (default 100, at most 10000). Example: 500",
    },
  ],
  hints: READ,
  output: { kind: "array", items: { type: "object", description: "One solution: variable name → value" } },
  memory: "read",
  async run(ctx, a) {
    const limits = ctx.project.limits;
    const limit = a.limit ?? limits.defaultSolutions;
    let text = a.goal;
    const cross = crossMemoryGoal(ctx.memory, a.goal, ctx.project);
    if (cross) {
      ctx = { ...ctx, memory: cross.memory };
      text = cross.goal;
    }
    const r = await readOp(
      ctx,
      "query",
      [text, limit, limits.inferenceLimit],
      (e) => refuse(`Query execution failed: ${e}`),
    );
    const texts = [r.solutions];
    if (r.truncated) {
      texts.push(
        `truncated: showing the first ${limit} solutions; pass a larger "limit" (at most ${limits.maxSolutions}) to see more`,
      );
    }
    // A call of a predicate with no clauses anywhere fails (as if dynamic); say so, a typo shows.
    if (r.undefined.length) {
      texts.push(
        `warning: ${r.undefined.join(", ")} ${r.undefined.length === 1 ? "has" : "have"} no clauses`,
      );
    }
    return ok(...texts);
  },
});

/** trace_dependency: the nodes X with path(X, start_node), as a JSON array. */
export const traceDependency = defineTool({
  name: "trace_dependency",
  description:
    "List the nodes X with path(X, start_node). Define path/2 with the destination first and the source second, e.g. path(X, S) :- depends_on(S, X). path(X, S) :- depends_on(S, Y), path(X, Y).",
  params: [{
    name: "start_node",
    type: "string",
    required: true,
    description: "An atom naming the start node. Example: app",
    checks: [
      { channel: "message", ok: (v) => v !== "", text: () => "start_node must not be empty" },
      {
        channel: "message",
        ok: (v) => /^[a-z_][A-Za-z0-9_]*$/.test(v),
        text: () => "start_node must be a valid Prolog atom",
      },
    ],
  }],
  hints: READ,
  output: { kind: "array" },
  memory: "read",
  async run(ctx, a) {
    const r = await boundedRead(ctx, "trace", a.start_node, "Query execution failed");
    return ok(JSON.stringify(r));
  },
});

/** verify_consistency: the solutions of integrity_violation[_<scope>](X), as JSON. */
export const verifyConsistency = defineTool({
  name: "verify_consistency",
  description:
    "Report integrity violations: the solutions X of integrity_violation(X), or of integrity_violation_<scope>(X) when a scope is given.",
  params: [{
    name: "scope",
    type: "string",
    required: false,
    default: "",
    description: "Optional suffix of the checking predicate. Example: billing",
    checks: [{
      channel: "message",
      ok: (v) => v === "" || /^[A-Za-z0-9_]+$/.test(v),
      text: () => "scope must contain only letters, digits and underscores",
    }],
  }],
  hints: READ,
  output: { kind: "object", properties: { violations: { type: "array" } }, required: ["violations"] },
  memory: "read",
  async run(ctx, a) {
    const r = await boundedRead(ctx, "verify", a.scope, "Consistency check failed");
    const { defined, ...answer } = r;
    if (defined || a.scope === "") return ok(JSON.stringify(answer));
    return ok(
      JSON.stringify(answer),
      `note: integrity_violation_${a.scope}/1 is not defined, so nothing was checked; define it with define_rule (head integrity_violation_${a.scope}(X))`,
    );
  },
});

/** explain_why: the proof tree of a goal's first proof as JSON, cut at `max_depth`. */
export const explainWhy = defineTool({
  name: "explain_why",
  description:
    "Explain why a fact holds: a proof tree of its first proof, {goal, proven, children}, each child checked.",
  params: [
    {
      name: "fact",
      type: "string",
      required: true,
      description: "The goal to explain. Example: grandparent(tom, ann)",
      typeError: "'fact' must be a non-empty string",
      checks: [{
        channel: "InvalidArguments",
        ok: (v) => v.trim() !== "",
        text: () => "'fact' must be a non-empty string",
      }],
    },
    {
      name: "max_depth",
      type: "integer",
      required: false,
      minimum: 0,
      maximum: 1000,
      default: 1000,
      description: 'Depth of the tree (default 1000); deeper nodes get "truncated": true. Example: 3',
    },
  ],
  hints: READ,
  output: {
    kind: "object",
    properties: { goal: { type: "string" }, proven: { type: "boolean" }, children: { type: "array" } },
    required: ["goal", "proven", "children"],
  },
  memory: "read",
  async run(ctx, a) {
    const tree = await readOp(
      ctx,
      "explain",
      [a.fact, a.max_depth, ctx.project.limits.inferenceLimit],
      (e, kind) =>
        kind === "syntax" || kind === "unsafe"
          ? refuse(`Cannot explain ${display(a.fact)}: ${e}`)
          : execFailed(e),
    );
    return ok(JSON.stringify(tree));
  },
});

/** get_knowledge_schema: the user predicates with arity, type and clause count, as JSON. */
export const getKnowledgeSchema = defineTool({
  name: "get_knowledge_schema",
  description:
    "List the predicates in the knowledge base with arity, type (fact/rule/both) and clause count.",
  params: [],
  hints: READ,
  output: {
    kind: "object",
    properties: { predicates: { type: "array" }, total: { type: "integer" } },
    required: ["predicates", "total"],
  },
  memory: "read",
  async run(ctx) {
    return ok(JSON.stringify(await readOp(ctx, "schema", [])));
  },
});

/** A read operation whose arguments are one text plus the solution cap and inference budget of the process. */
async function boundedRead<Op extends "trace" | "verify">(
  ctx: ToolContext,
  op: Op,
  text: string,
  failure: string,
): Promise<OpReply<Op>> {
  const limits = ctx.project.limits;
  const args = [text, limits.defaultSolutions, limits.inferenceLimit] as OpArgs<Op>;
  return await readOp(ctx, op, args, (e) => refuse(`${failure}: ${e}`));
}

/**
 * Cross-memory read: a goal sent to the default memory whose leading `name:` names a mounted memory
 * runs the rest of the goal there. Returns that memory and goal, or null. Token checks use the same rule.
 */
export function crossMemoryGoal(
  target: string,
  goal: string,
  project: Pick<Project, "entry">,
): { memory: string; goal: string } | null {
  const prefix = /^\s*([a-z][A-Za-z0-9_]*)\s*:(?![-=])([^]*)$/.exec(goal);
  if (!prefix || !isDefaultMemory(target) || !project.entry(prefix[1])) return null;
  return { memory: prefix[1], goal: prefix[2] };
}
