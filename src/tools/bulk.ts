/**
 * Tools added to upstream's 29: `remember_facts` (many facts and rules in one journal transaction,
 * all or nothing) and `export_knowledge` (the memory's clauses as plain quoted Prolog).
 */
import { readOp } from "./engine_calls.ts";
import { mutationTool } from "./engine_calls.ts";
import { defineTool, refuse } from "./types.ts";
import { ok } from "./types.ts";

/** Most items one remember_facts call accepts. */
export const MAX_FACTS_PER_CALL = 10_000;
/** Largest export_knowledge answer, in characters; past it the tool points to `zpm export`. */
export const MAX_EXPORT_CHARS = 1_000_000;

/** remember_facts: assert many facts/rules as one durable transaction; one bad item refuses all. */
export const rememberFacts = mutationTool({
  name: "remember_facts",
  description:
    "Assert many Prolog facts and rules in one durable transaction (all or nothing: when any item is refused, nothing is stored and every refused item is listed).",
  params: [{
    name: "facts",
    type: "string[]",
    required: true,
    maxItems: MAX_FACTS_PER_CALL,
    description:
      'Facts or rules as Prolog text, one clause per item; trailing \'.\' optional. Example: ["parent(tom, bob)", "grandparent(X, Z) :- parent(X, Y), parent(Y, Z)"]',
  }],
  hints: { readOnly: false, destructive: false, idempotent: false },
  op: "remember_many",
  args: (a) => [...a.facts],
  ok: (_a, r) => `Asserted ${r.count} clause(s) in one transaction.`,
  failure: (_a, e) => `Failed to assert: ${e}`,
});

/** export_knowledge: the memory's own clauses as quoted Prolog that zpm import and swipl consult read. */
export const exportKnowledge = defineTool({
  name: "export_knowledge",
  description:
    "Return the memory's facts and rules as plain quoted Prolog source (readable by `zpm import` and swipl consult); kb/*.pl files are not included.",
  params: [{
    name: "with_meta",
    type: "boolean",
    required: false,
    default: false,
    description:
      "Also include zpm's bookkeeping (zpm_source/2 sources, tms_justification/2 assumptions). Example: true",
  }],
  hints: { readOnly: true, destructive: false, idempotent: true },
  memory: "read",
  async run(ctx, a) {
    const r = await readOp(ctx, "export", [a.with_meta ? 1 : 0]);
    if (r.text.length > MAX_EXPORT_CHARS) {
      throw refuse(
        `Export is ${r.text.length} characters (${r.clauses} clauses), over export_knowledge's limit of ${MAX_EXPORT_CHARS}; run \`zpm export --memory ${ctx.memory} --output FILE\` in a shell instead.`,
      );
    }
    return ok(r.text === "" ? "% no clauses\n" : r.text);
  },
});
