/**
 * Truth maintenance tools: assume_fact, retract_assumption, get_belief_status, get_justification,
 * list_assumptions, retract_assumptions. The work happens on terms inside Prolog (tms.pl.ts); each
 * mutation is one planned change committed as one journal transaction.
 */
import { display, isAtomName, reqString } from "./args.ts";
import { mutateOp, readOp } from "./engine_calls.ts";
import { fail, ok, ToolError, type ToolSpec } from "./types.ts";

const READ = { readOnly: true, destructive: false, idempotent: true };

/** `[a-z*?][A-Za-z0-9_*?]*` (upstream isValidGlobPattern). */
export function isGlobPattern(s: string): boolean {
  return /^[a-z*?][A-Za-z0-9_*?]*$/.test(s);
}

/** The `assumption` argument: required and a valid atom name, else InvalidArguments. */
function assumptionArg(args: Record<string, unknown>): string {
  const a = reqString(args, "assumption");
  if (!isAtomName(a)) {
    throw new ToolError(
      "InvalidArguments",
      `'assumption' must be an atom name matching [a-z][A-Za-z0-9_]* (got '${a}')`,
    );
  }
  return a;
}

const ASSUMPTION_PARAM = {
  name: "assumption",
  type: "string" as const,
  required: true,
  description: "Assumption name: a lowercase atom ([a-z][A-Za-z0-9_]*). Example: api_healthy",
};

/** assume_fact */
export const assumeFact: ToolSpec = {
  name: "assume_fact",
  description:
    "Assert a fact under a named assumption; retracting the assumption later removes the facts that only it supports.",
  params: [
    {
      name: "fact",
      type: "string",
      required: true,
      positional: true,
      description: "The fact as Prolog text, one term (no rules). Example: healthy(api)",
    },
    ASSUMPTION_PARAM,
  ],
  hints: { readOnly: false, destructive: false, idempotent: true },
  memory: "write",
  async run(ctx, args) {
    const fact = reqString(args, "fact");
    const assumption = assumptionArg(args);
    if (!fact.trim()) return fail("assume_fact: fact must not be empty");
    return await mutateOp(
      ctx,
      "tms_assume",
      [fact, assumption],
      (r) =>
        r.rule
          ? fail("assume_fact: fact must not contain rule syntax")
          : ok(`Assumed: ${display(fact)} under assumption '${assumption}'`),
      (e) => fail(`assume_fact: failed to assert fact: ${display(fact)} (${e})`),
    );
  },
};

/** retract_assumption */
export const retractAssumption: ToolSpec = {
  name: "retract_assumption",
  description:
    "Retract an assumption: drop its justifications and remove every fact no other assumption supports (facts asserted on their own stay).",
  params: [ASSUMPTION_PARAM],
  hints: { readOnly: false, destructive: true, idempotent: true },
  memory: "write",
  async run(ctx, args) {
    const assumption = assumptionArg(args);
    return await mutateOp(
      ctx,
      "tms_retract",
      [assumption],
      (r) =>
        r.found
          ? ok(`Retracted assumption '${assumption}': ${r.removed} fact(s) removed`)
          : fail(`Unknown assumption '${assumption}'`),
      (e) => fail(`Failed to retract assumption '${assumption}': ${e}`),
    );
  },
};

/** get_belief_status */
export const getBeliefStatus: ToolSpec = {
  name: "get_belief_status",
  description:
    'Report whether a fact is believed: {"status":"in"|"out","justifications":[assumptions],"source":…,"present":…}; in only while the fact is stored and justified.',
  params: [{
    name: "fact",
    type: "string",
    required: true,
    description:
      "The fact, one term (a pattern such as healthy(X) matches every link). Example: healthy(api)",
  }],
  hints: READ,
  memory: "read",
  async run(ctx, args) {
    const fact = reqString(args, "fact");
    if (!fact.trim()) return fail("get_belief_status: fact must not be empty");
    const r = await readOp(ctx, "tms_belief", [fact]);
    if (!r.ok) {
      if (r.kind === "syntax") return fail(`get_belief_status: invalid fact: ${r.error}`);
      throw new ToolError("ExecutionFailed", r.error);
    }
    return ok(JSON.stringify(r.value));
  },
};

/** get_justification */
export const getJustification: ToolSpec = {
  name: "get_justification",
  description: "List the facts an assumption supports, as a JSON array of Prolog terms ([] when none).",
  params: [ASSUMPTION_PARAM],
  hints: READ,
  memory: "read",
  async run(ctx, args) {
    const assumption = assumptionArg(args);
    const r = await readOp(ctx, "tms_justification", [assumption]);
    if (!r.ok) throw new ToolError("ExecutionFailed", r.error);
    return ok(JSON.stringify(r.value));
  },
};

/** list_assumptions */
export const listAssumptions: ToolSpec = {
  name: "list_assumptions",
  description: "List the assumptions that support at least one fact, as a JSON array of names.",
  params: [],
  hints: READ,
  memory: "read",
  async run(ctx) {
    const r = await readOp(ctx, "tms_list", []);
    if (!r.ok) throw new ToolError("ExecutionFailed", r.error);
    return ok(JSON.stringify(r.value));
  },
};

/** retract_assumptions */
export const retractAssumptions: ToolSpec = {
  name: "retract_assumptions",
  description:
    "Retract every assumption whose name matches a glob pattern (* any run, ? one character), as retract_assumption does for each.",
  params: [{
    name: "pattern",
    type: "string",
    required: true,
    description: "Glob over assumption names ([a-z*?][A-Za-z0-9_*?]*). Example: hyp_*",
  }],
  hints: { readOnly: false, destructive: true, idempotent: true },
  memory: "write",
  async run(ctx, args) {
    const pattern = reqString(args, "pattern");
    if (!isGlobPattern(pattern)) {
      throw new ToolError(
        "InvalidArguments",
        `'pattern' must match [a-z*?][A-Za-z0-9_*?]* (got '${pattern}')`,
      );
    }
    return await mutateOp(
      ctx,
      "tms_retract_glob",
      [pattern],
      (r) => ok(`Retracted pattern '${pattern}': ${r.count} assumption(s) removed`),
      (e) => fail(`Failed to retract pattern '${pattern}': ${e}`),
    );
  },
};
