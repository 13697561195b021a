/** Read-only tools: echo, query_logic, trace_dependency, verify_consistency, explain_why, schema. */
import { display, optInteger, optString, reqString } from "./args.ts";
import { memoryName, readOp } from "./engine_calls.ts";
import { fail, ok, ToolError, type ToolSpec } from "./types.ts";

const READ = { readOnly: true, destructive: false, idempotent: true };

/** echo */
export const echo: ToolSpec = {
  name: "echo",
  description: "Return the message unchanged (connectivity check).",
  params: [{ name: "message", type: "string", required: true, description: "Any text. Example: hello" }],
  hints: READ,
  run(_ctx, args) {
    return Promise.resolve(ok(reqString(args, "message")));
  },
};

/** query_logic */
export const queryLogic: ToolSpec = {
  name: "query_logic",
  description:
    "Execute a Prolog goal and return all variable bindings as JSON (one object per solution; [] when none). Read-only.",
  params: [
    {
      name: "goal",
      type: "string",
      required: true,
      description: "The goal, one term. Example: grandparent(tom, X)",
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
  memory: "read",
  async run(ctx, args) {
    const goal = reqString(args, "goal");
    const limits = ctx.project.limits;
    const limit = optInteger(args, "limit", 1, limits.maxSolutions) ?? limits.defaultSolutions;
    if (!goal.trim()) return fail("Goal must not be empty");
    // Cross-memory read: a leading `name:` naming a mounted memory runs the rest there.
    let text = goal;
    const prefix = /^\s*([a-z][A-Za-z0-9_]*)\s*:(?![-=])([^]*)$/.exec(goal);
    if (prefix && memoryName(ctx) === "default" && ctx.project.entry(prefix[1])) {
      ctx = { ...ctx, args: { ...ctx.args, memory: prefix[1] } };
      text = prefix[2];
    }
    const r = await readOp(ctx, "query", [text, limit, limits.inferenceLimit]);
    if (!r.ok) return fail(`Query execution failed: ${r.error}`);
    const texts = [r.value.solutions as string];
    if (r.value.truncated) {
      texts.push(
        `truncated: showing the first ${limit} solutions; pass a larger "limit" (at most ${limits.maxSolutions}) to see more`,
      );
    }
    return { texts, isError: false };
  },
};

/** trace_dependency */
export const traceDependency: ToolSpec = {
  name: "trace_dependency",
  description:
    "List the nodes X with path(X, start_node). Define path/2 with the destination first and the source second, e.g. path(X, S) :- depends_on(S, X). path(X, S) :- depends_on(S, Y), path(X, Y).",
  params: [{
    name: "start_node",
    type: "string",
    required: true,
    description: "An atom naming the start node. Example: app",
  }],
  hints: READ,
  memory: "read",
  async run(ctx, args) {
    const start = reqString(args, "start_node");
    if (!start) return fail("start_node must not be empty");
    if (!/^[a-z_][A-Za-z0-9_]*$/.test(start)) return fail("start_node must be a valid Prolog atom");
    const limits = ctx.project.limits;
    const r = await readOp(ctx, "trace", [start, limits.defaultSolutions, limits.inferenceLimit]);
    if (!r.ok) return fail(`Query execution failed: ${r.error}`);
    return ok(JSON.stringify(r.value));
  },
};

/** verify_consistency */
export const verifyConsistency: ToolSpec = {
  name: "verify_consistency",
  description:
    "Report integrity violations: the solutions X of integrity_violation(X), or of integrity_violation_<scope>(X) when a scope is given.",
  params: [{
    name: "scope",
    type: "string",
    required: false,
    description: "Optional suffix of the checking predicate. Example: billing",
  }],
  hints: READ,
  memory: "read",
  async run(ctx, args) {
    const scope = optString(args, "scope") ?? "";
    if (scope && !/^[A-Za-z0-9_]+$/.test(scope)) {
      return fail("scope must contain only letters, digits and underscores");
    }
    const limits = ctx.project.limits;
    const r = await readOp(ctx, "verify", [scope, limits.defaultSolutions, limits.inferenceLimit]);
    if (!r.ok) return fail(`Consistency check failed: ${r.error}`);
    return ok(JSON.stringify(r.value));
  },
};

/** explain_why */
export const explainWhy: ToolSpec = {
  name: "explain_why",
  description:
    "Explain why a fact holds: a proof tree of its first proof, {goal, proven, children}, each child checked.",
  params: [
    {
      name: "fact",
      type: "string",
      required: true,
      description: "The goal to explain. Example: grandparent(tom, ann)",
    },
    {
      name: "max_depth",
      type: "integer",
      required: false,
      minimum: 0,
      maximum: 1000,
      description: 'Depth of the tree (default 1000); deeper nodes get "truncated": true. Example: 3',
    },
  ],
  hints: READ,
  memory: "read",
  async run(ctx, args) {
    const fact = optString(args, "fact");
    if (fact === undefined || !fact.trim()) {
      throw new ToolError("InvalidArguments", "'fact' must be a non-empty string");
    }
    const depth = optInteger(args, "max_depth", 0, 1000) ?? 1000;
    const r = await readOp(ctx, "explain", [fact, depth, ctx.project.limits.inferenceLimit]);
    if (!r.ok) {
      if (r.kind === "syntax" || r.kind === "unsafe") {
        return fail(`Cannot explain ${display(fact)}: ${r.error}`);
      }
      throw new ToolError("ExecutionFailed", r.error);
    }
    return ok(JSON.stringify(r.value));
  },
};

/** get_knowledge_schema */
export const getKnowledgeSchema: ToolSpec = {
  name: "get_knowledge_schema",
  description:
    "List the predicates in the knowledge base with arity, type (fact/rule/both) and clause count.",
  params: [],
  hints: READ,
  memory: "read",
  async run(ctx) {
    const r = await readOp(ctx, "schema", []);
    if (!r.ok) throw new ToolError("ExecutionFailed", r.error);
    return ok(JSON.stringify(r.value));
  },
};
