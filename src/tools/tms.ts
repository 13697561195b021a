/**
 * Truth maintenance tools: assume_fact, retract_assumption, get_belief_status, get_justification,
 * list_assumptions, retract_assumptions. The work happens on terms inside Prolog (src/engine/prolog/tms.pl); each
 * mutation is one planned change committed as one journal transaction.
 */
import { atomName, display, notBlank } from "./args.ts";
import { mutationTool, readOp } from "./engine_calls.ts";
import { defineTool, execFailed, ok, type Param, refuse } from "./types.ts";

const READ = { readOnly: true, destructive: false, idempotent: true };

/** `[a-z*?][A-Za-z0-9_*?]*` (upstream isValidGlobPattern). */
export function isGlobPattern(s: string): boolean {
  return /^[a-z*?][A-Za-z0-9_*?]*$/.test(s);
}

/** The required `assumption` argument: a valid atom name, else InvalidArguments. */
const ASSUMPTION_PARAM = {
  name: "assumption",
  type: "string",
  required: true,
  description: "Assumption name: a lowercase atom ([a-z][A-Za-z0-9_]*). Example: api_healthy",
  checks: [atomName((a) => `'assumption' must be an atom name matching [a-z][A-Za-z0-9_]* (got '${a}')`)],
} as const satisfies Param;

/** assume_fact: assert a fact (once) and link it to an assumption (once). */
export const assumeFact = mutationTool({
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
      checks: [notBlank("assume_fact: fact must not be empty")],
    },
    ASSUMPTION_PARAM,
  ],
  hints: { readOnly: false, destructive: false, idempotent: true },
  op: "tms_assume",
  args: (a) => [a.fact, a.assumption],
  ok: (a, r) => {
    if (r.rule) throw refuse("assume_fact: fact must not contain rule syntax");
    return `Assumed: ${display(a.fact)} under assumption '${a.assumption}'`;
  },
  failure: (a, e) => `assume_fact: failed to assert fact: ${display(a.fact)} (${e})`,
});

/** retract_assumption: drop an assumption's links and the facts nothing else supports. */
export const retractAssumption = mutationTool({
  name: "retract_assumption",
  description:
    "Retract an assumption: drop its justifications and remove every fact no other assumption supports (facts asserted on their own stay).",
  params: [ASSUMPTION_PARAM],
  hints: { readOnly: false, destructive: true, idempotent: true },
  op: "tms_retract",
  args: (a) => [a.assumption],
  ok: (a, r) => {
    if (!r.found) throw refuse(`Unknown assumption '${a.assumption}'`);
    return `Retracted assumption '${a.assumption}': ${r.removed} fact(s) removed`;
  },
  failure: (a, e) => `Failed to retract assumption '${a.assumption}': ${e}`,
});

/** get_belief_status: whether a fact is believed (in/out), its assumptions, source and presence. */
export const getBeliefStatus = defineTool({
  name: "get_belief_status",
  description:
    'Report whether a fact is believed: {"status":"in"|"out","justifications":[assumptions],"source":…,"present":…}; in only while the fact is stored and justified.',
  params: [{
    name: "fact",
    type: "string",
    required: true,
    description:
      "The fact, one term (a pattern such as healthy(X) matches every link). Example: healthy(api)",
    checks: [notBlank("get_belief_status: fact must not be empty")],
  }],
  hints: READ,
  output: { kind: "object", properties: { status: { type: "string" } }, required: ["status"] },
  memory: "read",
  async run(ctx, a) {
    const belief = await readOp(
      ctx,
      "tms_belief",
      [a.fact],
      (e, kind) => kind === "syntax" ? refuse(`get_belief_status: invalid fact: ${e}`) : execFailed(e),
    );
    return ok(JSON.stringify(belief));
  },
});

/** get_justification: the facts an assumption supports, as a JSON array of terms. */
export const getJustification = defineTool({
  name: "get_justification",
  description: "List the facts an assumption supports, as a JSON array of Prolog terms ([] when none).",
  params: [ASSUMPTION_PARAM],
  hints: READ,
  output: { kind: "array" },
  memory: "read",
  async run(ctx, a) {
    return ok(JSON.stringify(await readOp(ctx, "tms_justification", [a.assumption])));
  },
});

/** list_assumptions: the assumptions that support at least one fact, as a JSON array. */
export const listAssumptions = defineTool({
  name: "list_assumptions",
  description: "List the assumptions that support at least one fact, as a JSON array of names.",
  params: [],
  hints: READ,
  output: { kind: "array" },
  memory: "read",
  async run(ctx) {
    return ok(JSON.stringify(await readOp(ctx, "tms_list", [])));
  },
});

/** retract_assumptions: retract every assumption whose name matches a glob. */
export const retractAssumptions = mutationTool({
  name: "retract_assumptions",
  description:
    "Retract every assumption whose name matches a glob pattern (* any run, ? one character), as retract_assumption does for each.",
  params: [{
    name: "pattern",
    type: "string",
    required: true,
    description: "Glob over assumption names ([a-z*?][A-Za-z0-9_*?]*). Example: hyp_*",
    checks: [{
      channel: "InvalidArguments",
      ok: isGlobPattern,
      text: (p) => `'pattern' must match [a-z*?][A-Za-z0-9_*?]* (got '${p}')`,
    }],
  }],
  hints: { readOnly: false, destructive: true, idempotent: true },
  op: "tms_retract_glob",
  args: (a) => [a.pattern],
  ok: (a, r) => `Retracted pattern '${a.pattern}': ${r.count} assumption(s) removed`,
  failure: (a, e) => `Failed to retract pattern '${a.pattern}': ${e}`,
});
