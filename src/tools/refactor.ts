/** Tools that work across memories: find_predicate_references, rename_predicate, get_kb_overview. */
import { PersistenceError } from "../core/knowledge_base.ts";
import { isAtomName, optInteger, reqString } from "./args.ts";
import { isResult, memoryName, target } from "./engine_calls.ts";
import { fail, ok, ToolError, type ToolSpec } from "./types.ts";

/** Upstream boolean convention: JSON true/false or the string "true". */
function bool(v: unknown, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  return v === true || v === "true";
}

// deno-lint-ignore no-explicit-any
type Json = any;

/** find_predicate_references */
export const findPredicateReferences: ToolSpec = {
  name: "find_predicate_references",
  description:
    "Find where a predicate is used: rules whose bodies call it, its fact count, and assumptions about its facts. memory may be __all__.",
  params: [
    { name: "functor", type: "string", required: true, description: "Predicate name. Example: task_status" },
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
      description: "Report module-qualified references (default true). Example: true",
    },
  ],
  hints: { readOnly: true, destructive: false, idempotent: true },
  memory: "read",
  async run(ctx, args) {
    const functor = reqString(args, "functor");
    if (!isAtomName(functor)) {
      throw new ToolError("InvalidArguments", `'functor' must be an atom name, got '${functor}'`);
    }
    const arity = optInteger(args, "arity", 0, 1024);
    const cross = bool(args.include_cross_memory_refs, true);
    const mem = memoryName(ctx);
    const memories = mem === "__all__" ? await ctx.project.mountedMemories() : [{
      entry: { name: mem },
      kb: await (async () => {
        const kb = await target(ctx, "read");
        if (isResult(kb)) throw new ToolError("ExecutionFailed", kb.texts[0]);
        return kb;
      })(),
    }];
    const out: Json = {
      rules: [],
      direct_facts_count: 0,
      facts_referenced_in_assumptions: [],
      cross_memory_refs: [],
    };
    for (const { entry, kb } of memories) {
      const r = await kb.read("references", [functor, arity ?? -1, entry.name]);
      if (!r.ok) throw new ToolError("ExecutionFailed", r.error);
      out.rules.push(...r.value.rules);
      out.direct_facts_count += r.value.direct_facts_count;
      out.facts_referenced_in_assumptions.push(...r.value.facts_referenced_in_assumptions);
      if (cross) out.cross_memory_refs.push(...r.value.cross_memory_refs);
    }
    const by = (...keys: string[]) => (a: Json, b: Json) => {
      for (const k of keys) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
      return 0;
    };
    out.rules.sort(by("memory", "head", "body"));
    out.facts_referenced_in_assumptions.sort(by("memory", "assumption", "fact"));
    out.cross_memory_refs.sort(by("memory", "qualifier", "head", "body"));
    return ok(JSON.stringify({
      target: arity === undefined ? functor : `${functor}/${arity}`,
      memory: mem,
      ...out,
    }));
  },
};

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

/** rename_predicate */
export const renamePredicate: ToolSpec = {
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
      description: "Only report what would change. Example: true",
    },
    {
      name: "propagate_cross_memory_refs",
      type: "boolean",
      required: false,
      description:
        "Also rewrite references held by other memories (rules cannot reference other memories in zpm, so there are none). Example: false",
    },
  ],
  hints: { readOnly: false, destructive: true, idempotent: false },
  memory: "write",
  async run(ctx, args) {
    const oldF = reqString(args, "old_functor");
    const newF = reqString(args, "new_functor");
    const arity = optInteger(args, "arity", 0, 1024);
    const dryRun = bool(args.dry_run, false);
    if (arity !== undefined) {
      const isOp = (f: string) =>
        (arity === 2 && OPERATORS2.has(f)) || (arity === 1 && (f === ":-" || f === "\\+")) ||
        (arity === 0 && f === "!");
      if (isOp(oldF)) return fail(`Cannot rename operator ${oldF}/${arity}`);
      if (isOp(newF)) return fail(`Cannot use operator ${newF}/${arity} as the new name`);
    }
    for (const [k, v] of [["old_functor", oldF], ["new_functor", newF]]) {
      if (!isAtomName(v)) throw new ToolError("InvalidArguments", `'${k}' must be an atom name, got '${v}'`);
    }
    if (oldF === newF) return fail(`Cannot rename ${oldF} to itself`);
    const kb = await target(ctx, dryRun ? "read" : "write");
    if (isResult(kb)) return kb;
    let reply;
    try {
      reply = dryRun
        ? await kb.read("rename", [oldF, newF, arity ?? -1])
        : (await kb.mutate("rename", [oldF, newF, arity ?? -1])).reply;
    } catch (e) {
      if (e instanceof PersistenceError) throw new ToolError("ExecutionFailed", e.message);
      throw e;
    }
    if (!reply.ok) return fail(`Rename failed: ${reply.error}`);
    const r = reply.value.result;
    const warnings = (r.kb_file_rules as string[]).map((clause) => ({
      memory: memoryName(ctx),
      refs: 1,
      reason: `rule from a knowledge file was not rewritten (edit the file): ${clause}`,
    }));
    const out: Json = {
      old_functor: oldF,
      new_functor: newF,
      memory: memoryName(ctx),
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
};

const BUDGET = 64 * 1024;

/** get_kb_overview */
export const getKbOverview: ToolSpec = {
  name: "get_kb_overview",
  description:
    "One-call overview of a memory: predicates with kinds, counts and sample clauses, assumptions, snapshots, persistence and mounts (at most 64 KiB).",
  params: [{
    name: "sample_size",
    type: "integer",
    required: false,
    description: "Sample clauses per predicate, 0..50 (default 2). Example: 2",
  }],
  hints: { readOnly: true, destructive: false, idempotent: true },
  memory: "read",
  async run(ctx, args) {
    const raw = args.sample_size;
    let sample = typeof raw === "number" && Number.isInteger(raw) ? Math.max(0, Math.min(50, raw)) : 2;
    const kb = await target(ctx, "read");
    if (isResult(kb)) return kb;
    const snaps = await kb.snapshots();
    const walPending = await kb.pendingTransactions();
    const mounts = (await ctx.project.listMemories()).filter((m) => m.mounted)
      .map((m) => ({ name: m.name, scope: m.scope, mode: m.mode })).sort((a, b) =>
        a.name.localeCompare(b.name)
      );
    // One engine call; samples are then cut in JS (each rebuild used to re-read every clause, which
    // with a 1 MB fact took longer than the deadline), and very long texts are clipped.
    const r = await kb.read("overview", [sample]);
    if (!r.ok) return fail(`Overview failed: ${r.error}`);
    const predicates = (r.value.predicates as Json[]).map((p) => ({ ...p, samples: p.samples.map(clip) }));
    const assumptions = { ...r.value.assumptions, names: (r.value.assumptions.names as string[]).map(clip) };
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
};

/** Longest sample clause or assumption name shown by get_kb_overview. */
const MAX_TEXT = 4096;

function clip(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}… (${s.length} characters)` : s;
}
