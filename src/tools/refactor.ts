/** Tools that work across memories: find_predicate_references, rename_predicate, get_kb_overview. */
import type { References } from "../engine/ops.ts";
import { atomName, isAtomName } from "./args.ts";
import { use } from "./engine_calls.ts";
import { defineTool, execFailed, invalid, ok, refuse } from "./types.ts";

/** Sort by the given string fields, in order. */
function by<T>(...keys: (keyof T)[]): (a: T, b: T) => number {
  return (a, b) => {
    for (const k of keys) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
    return 0;
  };
}

/**
 * find_predicate_references: rules calling a predicate, its fact count and assumption links, in
 * one memory or (memory `__all__`) every mounted one, as JSON.
 */
export const findPredicateReferences = defineTool({
  name: "find_predicate_references",
  description:
    "Find where a predicate is used: rules whose bodies call it, its fact count, and assumptions about its facts. memory may be __all__.",
  params: [
    {
      name: "functor",
      type: "string",
      required: true,
      description: "Predicate name. Example: task_status",
      checks: [atomName((f) => `'functor' must be an atom name, got '${f}'`)],
    },
    {
      name: "arity",
      type: "integer",
      required: false,
      minimum: 0,
      maximum: 1024,
      description: "Arity (any when omitted). Example: 2",
    },
    {
      name: "include_cross_memory_refs",
      type: "boolean",
      required: false,
      default: true,
      description: "Report module-qualified references (default true). Example: true",
    },
  ],
  hints: { readOnly: true, destructive: false, idempotent: true },
  output: { kind: "object", properties: { target: { type: "string" }, rules: { type: "array" } } },
  memory: "read",
  async run(ctx, a) {
    const mem = ctx.memory;
    const memories = mem === "__all__"
      ? await ctx.project.mountedMemories()
      : [{ entry: { name: mem }, kb: await use(ctx, "read") }];
    const out: References = {
      rules: [],
      direct_facts_count: 0,
      facts_referenced_in_assumptions: [],
      cross_memory_refs: [],
    };
    for (const { entry, kb } of memories) {
      const r = await kb.read("references", [a.functor, a.arity ?? -1, entry.name]);
      if (!r.ok) throw execFailed(r.error);
      out.rules.push(...r.value.rules);
      out.direct_facts_count += r.value.direct_facts_count;
      out.facts_referenced_in_assumptions.push(...r.value.facts_referenced_in_assumptions);
      if (a.include_cross_memory_refs) out.cross_memory_refs.push(...r.value.cross_memory_refs);
    }
    out.rules.sort(by("memory", "head", "body"));
    out.facts_referenced_in_assumptions.sort(by("memory", "assumption", "fact"));
    out.cross_memory_refs.sort(by("memory", "qualifier", "head", "body"));
    return ok(JSON.stringify({
      target: a.arity === undefined ? a.functor : `${a.functor}/${a.arity}`,
      memory: mem,
      ...out,
    }));
  },
});

const OPERATORS2 = new Set([
  "=",
  ",",
  ";",
  "is",
  "->",
  "\\=",
  "==",
  "\\==",
  "=..",
  "@<",
  "@>",
  "@=<",
  "@>=",
  "<",
  ">",
  "=<",
  ">=",
  "+",
  "-",
  "*",
  "/",
  ":-",
]);

/**
 * rename_predicate: rename a predicate at the term level (clauses, calling rule bodies, assumption
 * links, sources) in one planned transaction; dry_run plans on a read without committing.
 */
export const renamePredicate = defineTool({
  name: "rename_predicate",
  description:
    "Rename a predicate in a memory at the term level: its clauses, rule bodies that call it, assumption links and sources; dry_run reports without changing anything.",
  params: [
    { name: "old_functor", type: "string", required: true, description: "Current name. Example: task_state" },
    { name: "new_functor", type: "string", required: true, description: "New name. Example: task_status" },
    {
      name: "arity",
      type: "integer",
      required: false,
      minimum: 0,
      maximum: 1024,
      description: "Arity (inferred when unique). Example: 2",
    },
    {
      name: "dry_run",
      type: "boolean",
      required: false,
      default: false,
      description: "Only report what would change. Example: true",
    },
    {
      name: "propagate_cross_memory_refs",
      type: "boolean",
      required: false,
      default: false,
      description:
        "Also rewrite references held by other memories (rules cannot reference other memories in zpm, so there are none). Example: false",
    },
  ],
  hints: { readOnly: false, destructive: true, idempotent: false },
  output: {
    kind: "object",
    properties: { old_functor: { type: "string" }, new_functor: { type: "string" } },
  },
  memory: "write",
  async run(ctx, a) {
    const { old_functor: oldF, new_functor: newF, arity, dry_run: dryRun } = a;
    // Operators are refused before the atom-name checks (upstream order), so those stay here.
    if (arity !== undefined) {
      const isOp = (f: string) =>
        (arity === 2 && OPERATORS2.has(f)) || (arity === 1 && (f === ":-" || f === "\\+")) ||
        (arity === 0 && f === "!");
      if (isOp(oldF)) throw refuse(`Cannot rename operator ${oldF}/${arity}`);
      if (isOp(newF)) throw refuse(`Cannot use operator ${newF}/${arity} as the new name`);
    }
    for (const [k, v] of [["old_functor", oldF], ["new_functor", newF]]) {
      if (!isAtomName(v)) throw invalid(`'${k}' must be an atom name, got '${v}'`);
    }
    if (oldF === newF) throw refuse(`Cannot rename ${oldF} to itself`);
    const kb = await use(ctx, dryRun ? "read" : "write");
    const args: [string, string, number] = [oldF, newF, arity ?? -1];
    // A committed rename reports no degraded-persistence warning (unlike the mutation tools).
    const reply = dryRun ? await kb.read("rename", args) : (await kb.mutate("rename", args)).reply;
    if (!reply.ok) throw refuse(`Rename failed: ${reply.error}`);
    const r = reply.value.result;
    const warnings = r.kb_file_rules.map((clause) => ({
      memory: ctx.memory,
      refs: 1,
      reason: `rule from a knowledge file was not rewritten (edit the file): ${clause}`,
    }));
    const out = {
      old_functor: oldF,
      new_functor: newF,
      memory: ctx.memory,
      ...(r.arity !== undefined ? { arity: r.arity } : {}),
      dry_run: dryRun,
      renamed_facts: r.renamed_facts,
      renamed_rules: r.renamed_rules,
      preserved_assumptions: r.preserved_assumptions,
      rewritten_rule_bodies: r.rewritten_rule_bodies,
      affected_rule_ids: r.affected_rule_ids,
      cross_memory_impact: { rewritten: [] },
      warnings,
      skipped_readonly: [],
    };
    return ok(JSON.stringify(out));
  },
});

const BUDGET = 64 * 1024;

/**
 * get_kb_overview: predicates with kinds, counts and sample clauses, assumptions, snapshots,
 * persistence and mounts of one memory, as JSON of at most 64 KiB (samples are halved to fit).
 */
export const getKbOverview = defineTool({
  name: "get_kb_overview",
  description:
    "One-call overview of a memory: predicates with kinds, counts and sample clauses, assumptions, snapshots, persistence and mounts (at most 64 KiB).",
  params: [{
    name: "sample_size",
    type: "integer",
    required: false,
    default: 2,
    minimum: 0,
    maximum: 50,
    description: "Sample clauses per predicate, 0..50 (default 2). Example: 2",
  }],
  hints: { readOnly: true, destructive: false, idempotent: true },
  output: { kind: "object", properties: { predicates: { type: "array" }, truncated: { type: "boolean" } } },
  memory: "read",
  async run(ctx, a) {
    // Bounds are in the schema and checked by callTool (upstream clamped silently).
    let sample = a.sample_size;
    const kb = await use(ctx, "read");
    const snaps = await kb.snapshots();
    const walPending = await kb.pendingTransactions();
    const mounts = (await ctx.project.listMemories()).filter((m) => m.mounted)
      .map((m) => ({ name: m.name, scope: m.scope, mode: m.mode })).sort((a, b) =>
        a.name.localeCompare(b.name)
      );
    // One engine call; samples are then cut in JS (each rebuild used to re-read every clause, which
    // with a 1 MB fact took longer than the deadline), and very long texts are clipped.
    const r = await kb.read("overview", [sample]);
    if (!r.ok) throw refuse(`Overview failed: ${r.error}`);
    const predicates = r.value.predicates.map((p) => ({ ...p, samples: p.samples.map(clip) }));
    const assumptions = { ...r.value.assumptions, names: r.value.assumptions.names.map(clip) };
    const build = (n: number): string =>
      JSON.stringify({
        predicates: predicates.map((p) => ({ ...p, samples: p.samples.slice(0, n) })),
        assumptions,
        snapshots: {
          count: snaps.length,
          latest: snaps[0]?.name.replace(/\.pl$/, "") ?? null,
          latest_at: snaps[0]
            ? new Date(snaps[0].header.seconds * 1000).toISOString().replace(/\.\d+Z$/, "Z")
            : null,
        },
        persistence: { wal_pending: walPending, healthy: kb.status === "active" && !kb.damage },
        mounts: { available: true, count: mounts.length, items: mounts },
        truncated: n !== sample0,
      });
    const sample0 = sample;
    let text = build(sample);
    while (text.length > BUDGET && sample > 0) {
      sample = Math.floor(sample / 2);
      text = build(sample);
    }
    return ok(text);
  },
});

/** Longest sample clause or assumption name shown by get_kb_overview. */
const MAX_TEXT = 4096;

function clip(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}… (${s.length} characters)` : s;
}
