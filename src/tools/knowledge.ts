/** Tools that change knowledge: remember, define, forget, clear, update, upsert. */
import { display, notBlank } from "./args.ts";
import { mutationTool } from "./engine_calls.ts";
import { refuse } from "./types.ts";

const MUTATE = { readOnly: false, destructive: false, idempotent: false };

/** Upstream's text, plus a second block when the clause was already stored (nothing was added). */
function known(text: string, r: { clause: string; known: boolean }): string | string[] {
  return r.known ? [text, `already known: ${r.clause} was stored before; no duplicate was added`] : text;
}

/** remember_fact: assert one fact (or clause text); "Asserted: <fact>" once durable. */
export const rememberFact = mutationTool({
  name: "remember_fact",
  description: "Assert a Prolog fact into the knowledge base (durable once acknowledged).",
  params: [{
    name: "fact",
    type: "string",
    required: true,
    description: "The fact as Prolog text, one term; trailing '.' optional. Example: parent(tom, bob)",
    checks: [notBlank("Fact must not be empty")],
  }],
  hints: MUTATE,
  op: "remember",
  args: (a) => [a.fact],
  ok: (a, r) => known(`Asserted: ${display(a.fact)}`, r),
  failure: (a, e) => `Failed to assert: ${display(a.fact)} (${e})`,
});

/** define_rule: assert the rule `head :- body`; "Asserted: <head> :- <body>" once durable. */
export const defineRule = mutationTool({
  name: "define_rule",
  description: "Define a Prolog rule Head :- Body (variables are shared between head and body).",
  params: [
    {
      name: "head",
      type: "string",
      required: true,
      positional: true,
      description: "The rule head. Example: grandparent(X, Z)",
      checks: [notBlank("Head must not be empty")],
    },
    {
      name: "body",
      type: "string",
      required: true,
      description: "The rule body. Example: parent(X, Y), parent(Y, Z)",
      checks: [notBlank("Body must not be empty")],
    },
  ],
  hints: MUTATE,
  op: "define_rule",
  args: (a) => [a.head, a.body],
  ok: (a, r) => known(`Asserted: ${display(a.head)} :- ${display(a.body)}`, r),
  failure: (a, e) => `Failed to assert: ${display(a.head)} :- ${display(a.body)} (${e})`,
});

/** forget_fact: retract the first matching clause; refused when nothing matches. */
export const forgetFact = mutationTool({
  name: "forget_fact",
  description: "Retract the first clause matching a fact (one copy per call).",
  params: [{
    name: "fact",
    type: "string",
    required: true,
    description: "The fact or pattern to retract. Example: parent(tom, bob)",
    checks: [notBlank("Fact must not be empty")],
  }],
  hints: { readOnly: false, destructive: true, idempotent: false },
  op: "forget",
  args: (a) => [a.fact],
  ok: (a, r) => {
    if (!r.found && r.kb_file) {
      throw refuse(
        `Cannot retract: ${
          display(a.fact)
        } comes from the read-only knowledge file ${r.kb_file}; edit or remove it there`,
      );
    }
    if (!r.found) throw refuse(`No matching clause for: ${display(a.fact)}`);
    return `Retracted: ${display(a.fact)}`;
  },
  failure: (a, e) => `Failed to retract: ${display(a.fact)} (${e})`,
});

/** clear_context: retract every clause whose head matches the pattern. */
export const clearContext = mutationTool({
  name: "clear_context",
  description:
    "Retract every fact and rule whose head matches a pattern. The pattern is a full term with _ for each argument (a bare name only matches arity 0).",
  params: [{
    name: "category",
    type: "string",
    required: true,
    description: "Head pattern. Example: project(beta, _)",
    checks: [notBlank("Category must not be empty")],
  }],
  hints: { readOnly: false, destructive: true, idempotent: true },
  op: "clear",
  args: (a) => [a.category],
  ok: (a) => `Cleared: ${display(a.category)}`,
  failure: (a, e) => `Failed to clear: ${display(a.category)} (${e})`,
});

/** update_fact: replace the first clause matching old_fact by new_fact in one transaction. */
export const updateFact = mutationTool({
  name: "update_fact",
  description:
    "Atomically replace the first clause matching old_fact with new_fact; if old_fact is missing the knowledge base is left unchanged.",
  params: [
    {
      name: "old_fact",
      type: "string",
      required: true,
      description: "The fact to replace. Example: status(api, down)",
      checks: [notBlank("old_fact must not be empty")],
    },
    {
      name: "new_fact",
      type: "string",
      required: true,
      description: "The replacement fact. Example: status(api, up)",
      // Whether it is a rule is decided on the parsed term (the engine), as remember_fact does.
      checks: [notBlank("new_fact must not be empty")],
    },
  ],
  hints: { readOnly: false, destructive: true, idempotent: false },
  op: "update",
  args: (a) => [a.old_fact, a.new_fact],
  ok: (a, r) => {
    if (!r.found) throw refuse(`No matching clause for: ${display(a.old_fact)}`);
    return `Updated: ${display(a.new_fact)}`;
  },
  failure: (a, e) =>
    e === "new_fact must not contain rule syntax"
      ? e
      : `Failed to update: ${display(a.old_fact)} (${e}); nothing was changed`,
});

/** upsert_fact: insert a fact, replacing facts with the same functor, arity and first argument. */
export const upsertFact = mutationTool({
  name: "upsert_fact",
  description:
    "Insert a fact, replacing every existing fact with the same functor, arity and first argument (functor + first argument matching).",
  params: [{
    name: "fact",
    type: "string",
    required: true,
    description: "The fact. Example: deploy(prod, v2)",
    checks: [notBlank("Fact must not be empty")], // a rule is refused on the parsed term
  }],
  hints: { readOnly: false, destructive: true, idempotent: true },
  op: "upsert",
  args: (a) => [a.fact],
  ok: (a) => `Upserted: ${display(a.fact)}`,
  failure: (a, e) =>
    e === "fact must not contain rule syntax" ? e : `Failed to upsert: ${display(a.fact)} (${e})`,
});
