/**
 * The engine's operations: every `op_(Name, Args, Reply)` clause of the Prolog sources
 * (src/engine/prolog/*.pl) with the argument tuple it takes and the JSON value it replies with.
 * `Engine.call`, `KnowledgeBase.read` and `KnowledgeBase.mutate` are typed by this table.
 */
import type { EngineReply, PlannedRecord } from "./types.ts";

/** Reply of a planned mutation: the tool-level result and the journal records the plan emitted. */
export interface Planned<R> {
  result: R;
  records: PlannedRecord[];
}

/** One node of an explain_why proof tree. */
export interface ProofNode {
  goal: string;
  proven: boolean;
  children: ProofNode[];
  /** Present (true) when the depth limit cut the children of this node. */
  truncated?: true;
}

/** A rule whose body mentions a predicate (find_predicate_references). */
export interface RuleRef {
  head: string;
  body: string;
  memory: string;
}

/** What `references` replies for one memory. */
export interface References {
  rules: RuleRef[];
  direct_facts_count: number;
  facts_referenced_in_assumptions: { assumption: string; fact: string; memory: string }[];
  cross_memory_refs: (RuleRef & { qualifier: string })[];
}

/** Result of a rename plan (also of a dry run); `arity` is absent when the predicate is unknown. */
export interface RenameResult {
  arity?: number;
  renamed_facts: number;
  renamed_rules: number;
  preserved_assumptions: number;
  rewritten_rule_bodies: { head: string; old_body: string; new_body: string }[];
  affected_rule_ids: string[];
  /** Rules from read-only knowledge files that mention the predicate and were left alone. */
  kb_file_rules: string[];
}

/** One predicate of the overview, with up to `sample` clause texts. */
export interface OverviewPredicate {
  functor: string;
  arity: number;
  kind: "fact" | "rule" | "both";
  count: number;
  samples: string[];
}

/** Result of tms_assume: a rule is refused (rule: true), else what was stored and linked. */
export type AssumeResult =
  | { rule: true }
  | { rule: false; fact: string; assumption: string; asserted: boolean; new_link: boolean };

/** Operation name → argument tuple and reply value. Integers are JSON numbers; -1 means "any arity". */
export interface Ops {
  setup: { args: [maxKbBytes: number]; reply: boolean };
  /** Flat list op1, clause1, op2, clause2, … (journal records). */
  apply: { args: string[]; reply: { applied: number; missed: number } };
  query: {
    args: [goal: string, limit: number, inferenceLimit: number];
    /**
     * `solutions` is a JSON array text, one object of bindings per solution; `undefined` names the
     * predicates without any definition that the goal called (they failed), e.g. "done/1".
     */
    reply: { solutions: string; count: number; truncated: boolean; undefined: string[] };
  };
  trace: { args: [start: string, limit: number, inferenceLimit: number]; reply: (string | number)[] };
  /** `defined`: the checking predicate exists (only then were violations looked for). */
  verify: {
    args: [scope: string, limit: number, inferenceLimit: number];
    reply: { violations: string[]; defined: boolean };
  };
  explain: { args: [goal: string, maxDepth: number, inferenceLimit: number]; reply: ProofNode };
  schema: {
    args: [];
    reply: {
      predicates: { name: string; arity: number; type: "fact" | "rule" | "both"; count: number }[];
      total: number;
    };
  };
  /** `known`: a variant was already stored, so nothing was added (only a missing source). */
  remember: { args: [fact: string]; reply: Planned<{ clause: string; known: boolean }> };
  define_rule: { args: [head: string, body: string]; reply: Planned<{ clause: string; known: boolean }> };
  /** `kb_file`: not found among the user's clauses, but the read-only kb file at this path holds it. */
  forget: { args: [fact: string]; reply: Planned<{ found: boolean; clause: string; kb_file: string }> };
  clear: { args: [pattern: string]; reply: Planned<{ removed: number; pattern: string }> };
  update: {
    args: [oldFact: string, newFact: string];
    reply: Planned<{ found: boolean; old: string; new: string }>;
  };
  upsert: { args: [fact: string]; reply: Planned<{ removed: number; pattern: string; clause: string }> };
  /** Load a kb user file; with `want` 1, `cache` is what parsing produced (for `load_kb_cache`), else "". */
  consult_kb: {
    args: [text: string, label: string, want: number];
    reply: { added: number; errors: string[]; cache: string };
  };
  /** Load a kb user file from the `cache` text `consult_kb` made of it: every item checked and run again. */
  load_kb_cache: { args: [cache: string, label: string]; reply: { added: number; errors: string[] } };
  /** The whole knowledge base as snapshot text (without the header line). */
  dump: { args: []; reply: string };
  /**
   * Replace the user's knowledge with a snapshot text (checked whole first). `clauses`: all clauses
   * loaded; `knowledge`: those other than zpm_source/tms_justification. `extra`: the `:- dynamic`
   * lines a dump would add (predicates left dynamic that the text does not mention), so the text plus
   * `extra` stores exactly the knowledge now loaded.
   */
  load_snapshot: { args: [text: string]; reply: { clauses: number; knowledge: number; extra: string } };
  canon: { args: [text: string]; reply: string };
  kb_bytes: { args: []; reply: number };
  /**
   * Apply `count` journal records (op, clause pairs: other processes' transactions a writer caught up
   * on), then run planned operation `op` (the rest are its own arguments) and keep its change applied:
   * a durable write is one engine call. Until the records are committed, `undo_plan` takes it back.
   */
  apply_plan: { args: [count: number, ...rest: (string | number)[]]; reply: Planned<unknown> };
  /**
   * `apply_plan` for several writes in one call (a group commit's pending writes): `count` journal
   * records, then per write its op, the number of its arguments and the arguments. One reply per write,
   * as its own `apply_plan` would have replied; each planned write's change stays applied.
   */
  apply_plans: {
    args: [count: number, ...rest: (string | number)[]];
    reply: EngineReply<Planned<unknown>>[];
  };
  /** Take back the last `apply_plan`; false (nothing changed) when it cannot be undone exactly. */
  undo_plan: { args: []; reply: boolean };
  references: { args: [functor: string, arity: number, memory: string]; reply: References };
  rename: { args: [oldFunctor: string, newFunctor: string, arity: number]; reply: Planned<RenameResult> };
  overview: {
    args: [sample: number];
    reply: { predicates: OverviewPredicate[]; assumptions: { count: number; names: string[] } };
  };
  tms_assume: { args: [fact: string, assumption: string]; reply: Planned<AssumeResult> };
  tms_retract: { args: [assumption: string]; reply: Planned<{ found: boolean; removed: number }> };
  tms_retract_glob: {
    args: [pattern: string];
    reply: Planned<{ assumptions: string[]; count: number; removed: number }>;
  };
  tms_belief: {
    args: [fact: string];
    reply: { status: "in" | "out"; justifications: string[]; source: string; present: boolean };
  };
  tms_justification: { args: [assumption: string]; reply: string[] };
  tms_list: { args: []; reply: string[] };
  /**
   * Assert several clause texts, each with its source link, in one plan (one `assert_many` record);
   * refused whole, with one line per refused item.
   */
  remember_many: { args: string[]; reply: Planned<{ count: number }> };
  /**
   * Read a knowledge file: directives applied, every problem as `label:line: message`, and the good
   * clauses staged in the engine in chunks of `chunkSize` for `import_chunk` (until the next
   * import_read). `meta`: the file carries zpm's bookkeeping (an export made with --with-meta).
   */
  import_read: {
    args: [text: string, label: string, chunkSize: number];
    reply: { clauses: number; chunks: number; meta: boolean; errors: string[]; directives: number };
  };
  /**
   * Store staged chunk `chunk` of the last import_read as one transaction. `sourceChars`, the size of
   * the file it came from, stretches its deadline as a bulk operation's text does.
   */
  import_chunk: { args: [chunk: number, sourceChars: number]; reply: Planned<{ count: number }> };
  /** The memory's own clauses as plain Prolog; withMeta 1 includes zpm_source/tms_justification. */
  export: { args: [withMeta: number]; reply: { text: string; clauses: number } };
}

/** The name of an engine operation. */
export type OpName = keyof Ops;

/** The argument tuple of an operation. */
export type OpArgs<Op extends OpName> = Ops[Op]["args"];

/** The reply value of an operation when it succeeds. */
export type OpReply<Op extends OpName> = Ops[Op]["reply"];

/** Operations that plan a mutation (reply `{ result, records }`); run them with `KnowledgeBase.mutate`. */
export type PlannedOp = {
  [Op in Exclude<OpName, "apply_plan">]: OpReply<Op> extends Planned<unknown> ? Op : never;
}[Exclude<OpName, "apply_plan">];

/** The `result` part of a planned operation's reply. */
export type PlanResult<Op extends PlannedOp> = OpReply<Op>["result"];
