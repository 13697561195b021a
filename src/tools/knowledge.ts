/** Tools that change knowledge: remember, define, forget, clear, update, upsert. */
import { display, reqString } from "./args.ts";
import { mutateOp } from "./engine_calls.ts";
import { fail, ok, type ToolSpec } from "./types.ts";

const MUTATE = { readOnly: false, destructive: false, idempotent: false };

/** remember_fact */
export const rememberFact: ToolSpec = {
  name: "remember_fact",
  description: "Assert a Prolog fact into the knowledge base (durable once acknowledged).",
  params: [{
    name: "fact",
    type: "string",
    required: true,
    description: "The fact as Prolog text, one term; trailing '.' optional. Example: parent(tom, bob)",
  }],
  hints: MUTATE,
  memory: "write",
  async run(ctx, args) {
    const fact = reqString(args, "fact");
    if (!fact.trim()) return fail("Fact must not be empty");
    return await mutateOp(
      ctx,
      "remember",
      [fact],
      () => ok(`Asserted: ${display(fact)}`),
      (e) => fail(`Failed to assert: ${display(fact)} (${e})`),
    );
  },
};

/** define_rule */
export const defineRule: ToolSpec = {
  name: "define_rule",
  description: "Define a Prolog rule Head :- Body (variables are shared between head and body).",
  params: [
    {
      name: "head",
      type: "string",
      required: true,
      positional: true,
      description: "The rule head. Example: grandparent(X, Z)",
    },
    {
      name: "body",
      type: "string",
      required: true,
      description: "The rule body. Example: parent(X, Y), parent(Y, Z)",
    },
  ],
  hints: MUTATE,
  memory: "write",
  async run(ctx, args) {
    const head = reqString(args, "head");
    const body = reqString(args, "body");
    if (!head.trim()) return fail("Head must not be empty");
    if (!body.trim()) return fail("Body must not be empty");
    const text = `${display(head)} :- ${display(body)}`;
    return await mutateOp(
      ctx,
      "define_rule",
      [head, body],
      () => ok(`Asserted: ${text}`),
      (e) => fail(`Failed to assert: ${text} (${e})`),
    );
  },
};

/** forget_fact */
export const forgetFact: ToolSpec = {
  name: "forget_fact",
  description: "Retract the first clause matching a fact (one copy per call).",
  params: [{
    name: "fact",
    type: "string",
    required: true,
    description: "The fact or pattern to retract. Example: parent(tom, bob)",
  }],
  hints: { readOnly: false, destructive: true, idempotent: false },
  memory: "write",
  async run(ctx, args) {
    const fact = reqString(args, "fact");
    if (!fact.trim()) return fail("Fact must not be empty");
    return await mutateOp(
      ctx,
      "forget",
      [fact],
      (r) => r.found ? ok(`Retracted: ${display(fact)}`) : fail(`No matching clause for: ${display(fact)}`),
      (e) => fail(`Failed to retract: ${display(fact)} (${e})`),
    );
  },
};

/** clear_context */
export const clearContext: ToolSpec = {
  name: "clear_context",
  description:
    "Retract every fact and rule whose head matches a pattern. The pattern is a full term with _ for each argument (a bare name only matches arity 0).",
  params: [{
    name: "category",
    type: "string",
    required: true,
    description: "Head pattern. Example: project(beta, _)",
  }],
  hints: { readOnly: false, destructive: true, idempotent: true },
  memory: "write",
  async run(ctx, args) {
    const category = reqString(args, "category");
    if (!category.trim()) return fail("Category must not be empty");
    return await mutateOp(
      ctx,
      "clear",
      [category],
      () => ok(`Cleared: ${display(category)}`),
      (e) => fail(`Failed to clear: ${display(category)} (${e})`),
    );
  },
};

/** update_fact */
export const updateFact: ToolSpec = {
  name: "update_fact",
  description:
    "Atomically replace the first clause matching old_fact with new_fact; if old_fact is missing the knowledge base is left unchanged.",
  params: [
    {
      name: "old_fact",
      type: "string",
      required: true,
      description: "The fact to replace. Example: status(api, down)",
    },
    {
      name: "new_fact",
      type: "string",
      required: true,
      description: "The replacement fact. Example: status(api, up)",
    },
  ],
  hints: { readOnly: false, destructive: true, idempotent: false },
  memory: "write",
  async run(ctx, args) {
    const oldFact = reqString(args, "old_fact");
    const newFact = reqString(args, "new_fact");
    if (!oldFact.trim()) return fail("old_fact must not be empty");
    if (!newFact.trim()) return fail("new_fact must not be empty");
    if (newFact.includes(":-")) return fail("new_fact must not contain rule syntax");
    return await mutateOp(
      ctx,
      "update",
      [oldFact, newFact],
      (r) =>
        r.found ? ok(`Updated: ${display(newFact)}`) : fail(`No matching clause for: ${display(oldFact)}`),
      (e) => fail(`Failed to update: ${display(oldFact)} (${e}); nothing was changed`),
    );
  },
};

/** upsert_fact */
export const upsertFact: ToolSpec = {
  name: "upsert_fact",
  description:
    "Insert a fact, replacing every existing fact with the same functor, arity and first argument (functor + first argument matching).",
  params: [{
    name: "fact",
    type: "string",
    required: true,
    description: "The fact. Example: deploy(prod, v2)",
  }],
  hints: { readOnly: false, destructive: true, idempotent: true },
  memory: "write",
  async run(ctx, args) {
    const fact = reqString(args, "fact");
    if (!fact.trim()) return fail("Fact must not be empty");
    if (fact.includes(":-")) return fail("fact must not contain rule syntax");
    return await mutateOp(
      ctx,
      "upsert",
      [fact],
      () => ok(`Upserted: ${display(fact)}`),
      (e) => fail(`Failed to upsert: ${display(fact)} (${e})`),
    );
  },
};
