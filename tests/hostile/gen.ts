/**
 * Hostile call generator for the sweep: from a seed, builds tool calls with hostile arguments for
 * every tool of the registry (so tools added later are covered without editing this file). The
 * argument kind is chosen from the parameter's JSON type and, for strings, from its name (Prolog
 * text, snapshot/memory names, atoms, globs, enums); unknown names get a mix of all string pools.
 */
import { type Param, paramsOf, type ToolSpec } from "../../src/tools/types.ts";

/** A small, fast, seedable PRNG (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** One element. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

/** How costly a generated value is to run; the generator keeps a budget per kind. */
export type Cost = "cheap" | "runaway" | "deep" | "huge";

interface Val {
  v: unknown;
  cost: Cost;
}

const MB = 1 << 20;
const nestF = (n: number) => "f(".repeat(n) + "a" + ")".repeat(n);
const nestList = (n: number) => "[".repeat(n) + "a" + "]".repeat(n);
const nestParens = (n: number) => "(".repeat(n) + "true" + ")".repeat(n);

/** Goals that run until a limit stops them (only a few per run: each costs up to the deadline). */
export const RUNAWAY_GOALS = [
  "loop",
  "between(1,inf,_),fail",
  "between(1, inf, _), _ is 7^(7^7), fail",
  "length(L, 100000000)",
  "numlist(1,50000000,L)",
  "repeat, fail",
  "nest_deep(100000, X)",
];

/** Runaway and memory-hungry goals that need no rules of the knowledge base. */
export const SELF_CONTAINED_RUNAWAYS = [
  "between(1,inf,_),fail",
  "between(1, inf, _), _ is 7^(7^7), fail",
  "length(L, 100000000)",
  "numlist(1,50000000,L)",
  "repeat, fail",
  "length(L, 2000000), msort(L, _), fail",
];

/** Goals that evade the inference limit: a one-shot CLI process (no wall-clock deadline) runs them forever. */
export const CLI_UNSAFE_GOALS = ["between(1, inf, _), _ is 7^(7^7), fail"];

/** Prolog texts that are refused, injected or odd, but cheap. */
const HOSTILE_TEXT = [
  "",
  " ",
  ".",
  "..",
  "a), halt, (b",
  "p(1)), halt, (p(2)",
  "true. halt",
  "p(1). p(2).",
  "x :- shell(rm)",
  "x :- halt",
  "'$VAR'(1)",
  "'$VAR'",
  "'$VAR'('Foo')",
  "'$zpm'(x)",
  "halt",
  "halt(0)",
  "shell(ls)",
  "shell('rm -rf /tmp/zpm-hostile-nothing', S)",
  "open('/etc/passwd',read,S)",
  "open('/tmp/x',write,S)",
  "consult(x)",
  "consult('/etc/passwd')",
  "assertz(x)",
  "asserta(p(evil))",
  "retract(p(_))",
  "retractall(_)",
  "abolish(p/1)",
  "G = halt, call(G)",
  "X = shell(ls), X",
  "catch(halt, _, true)",
  "findall(X, (X = 1, halt), L)",
  "setof(X, retract(p(X)), L)",
  "nb_setval(k, 1)",
  "set_prolog_flag(double_quotes, atom)",
  "op(700, xfx, ===>)",
  "read(X)",
  "tell('/tmp/x')",
  "see('/etc/passwd')",
  "load_files('/etc/passwd', [])",
  "system:halt",
  "user:halt",
  "lists:append(X, Y, [1])",
  'zpm:rpc(remember, ["p(1)"], R)',
  "'$set_source_module'(_, zpm)",
  "thread_create(halt, _, [])",
  ":- halt",
  "?- halt",
  ":- initialization(halt)",
  "a --> b",
  "p(X) :- X",
  "(a :- b) :- c",
  "X",
  "_",
  "1",
  "1.5e308",
  '"a string"',
  "`codes`",
  "[a|b]",
  "{x}",
  "p(",
  "p))",
  "/* unterminated",
  "p(1) % comment",
  "p('unterminated)",
  "0'",
  "p(0'a, 0' )",
  'p("\\u0000")',
  "p('\\x0\\')",
  "p(1)\u0000halt",
  "p('a\u0000b')",
  "p('\u0001\u0007\u001b[2J\u007f')",
  "p('\r\n')",
  "\u2028p(1)\u2029",
  "p('\uD800')",
  "p('\uDC00x\uD800')",
  "p(\uD83D)",
  "p('\u202Eevil')",
  "ｐ(１)",
  "p(X, X, _Y, _)",
  "p(f(X)) :- p(X)",
  "p(1) :- true",
  "m:p(1)",
  "user:p(1)",
  "(p(1), q(2))",
  "(p(1) ; q(2))",
  "\\+ p(1)",
  "!",
  "p(1), !",
  "call((p(X), X))",
  "p(1) :- (a :- b)",
  "p(A) :- A = f(A)",
  "X = f(X), p(X)",
  "integrity_violation(X) :- p(X)",
  "path(X, Y) :- edge(Y, X)",
  "p(99999999999999999999999999999999)",
  "p(-0.0)",
  "p(1.0Inf)",
  "p(nan)",
  "p(1r3)",
  "p(0x7fffffffffffffff)",
  'format("~s", [[104,105]])',
  "format(atom(A), '~q', [x])",
  "with_output_to(string(S), write(x))",
  "term_to_atom(T, 'f(X)')",
  "atom_to_term('halt', T, B), call(T)",
  "tab(100000000)",
  "atom_length(A, L)",
  "succ_or_zero(X)",
];

/** Benign Prolog texts over a small shared vocabulary, so that many mutations succeed. */
function benignText(r: Rng): string {
  const n = r.int(8);
  const a = r.pick(["a", "b", "c", "tom", "bob", "'Mixed Case'", "'with space'", "[]", "[1,2]"]);
  return r.pick([
    `p(${n})`,
    `p(${a})`,
    `q(${a}, ${n})`,
    `q(${n}, X)`,
    `edge(n${n}, n${r.int(8)})`,
    `status(api, ${r.pick(["up", "down", "degraded"])})`,
    `counter(${n})`,
    `loop :- loop`,
    `p(X) :- q(X, _)`,
    `path(X, Y) :- edge(Y, X)`,
    `path(X, Y) :- edge(Y, Z), path(X, Z)`,
    `integrity_violation(X) :- p(X), q(X, _)`,
    `nest_deep(0, a)`,
    `nest_deep(N, f(T)) :- N > 0, M is N - 1, nest_deep(M, T)`,
    `q(_, _)`,
    `p(_)`,
    `p(X)`,
    `status(_, _)`,
    `edge(n${n}, _)`,
  ]);
}

function benignBody(r: Rng): string {
  return r.pick(["loop", "q(X, _)", "p(X), p(Y)", "edge(Y, X)", "true", "N > 0, M is N - 1, counter(M)"]);
}

function benignHead(r: Rng): string {
  return r.pick(["loop", "p(X)", "r(X, Y)", "path(X, Y)", "integrity_violation(X)", "counter(N)"]);
}

/** Names for snapshots and memories: path traversal, odd characters, and valid names. */
const NAMES_HOSTILE = [
  "../x",
  "../../x",
  "/etc/x",
  "/tmp/x",
  "a/b",
  "..",
  ".",
  "",
  " ",
  "x/",
  "./x",
  "..\\x",
  "C:\\x",
  "~",
  "~/x",
  "$HOME",
  "%2e%2e%2fx",
  "x\u0000y",
  "x\ny",
  "x y",
  "-rf",
  ".hidden",
  "x.pl",
  "x.pl.pl",
  "..pl",
  "CON",
  "default",
  "__all__",
  "DEFAULT",
  "Notes",
  "\u202Ex",
  "x\uD800",
  "é",
  "n".repeat(65),
  "s".repeat(129),
  "s".repeat(128),
];
const SNAPSHOT_NAMES = ["s1", "s2", "snap.pl", "before-refactor", "a.b-c_d"];
const MEMORY_NAMES = ["notes", "scratch", "m2", "default"];

function hugeString(r: Rng, cap: number): string {
  const unit = r.pick(["a", "(", "p(1), ", "é", "\u0001", "\uD800"]);
  return unit.repeat(Math.ceil(cap / unit.length)).slice(0, cap);
}

/** Budgets of costly values per run. */
export interface Budget {
  runaway: number;
  deep: number;
  huge: number;
}

/** Options for one generator. */
export interface GenOptions {
  /** Largest string produced (the CLI cannot pass more than ~128 KiB in one argument). */
  maxString: number;
  /** Only strings (CLI flags), no NUL characters (argv cannot carry them). */
  cli: boolean;
  budget: Budget;
  /** Tools not to call. */
  exclude?: string[];
  /**
   * Every this many calls, run a runaway or memory-hungry goal through a tool that executes goals
   * (on top of the runaway budget, which covers such goals in any argument of any tool).
   */
  runawayEvery?: number;
}

/** One generated call. */
export interface GenCall {
  tool: string;
  /** MCP `arguments` (anything; `undefined` means absent). */
  args: unknown;
  /** True when the tool exists and the arguments are an object (or absent/null): a tool result is due. */
  expectResult: boolean;
  cost: Cost;
}

/** Generates hostile calls for a list of tools. */
export class Generator {
  constructor(
    private readonly r: Rng,
    private readonly tools: readonly ToolSpec[],
    private readonly opts: GenOptions,
  ) {}

  private spend(kind: Exclude<Cost, "cheap">): boolean {
    if (this.opts.budget[kind] <= 0) return false;
    this.opts.budget[kind]--;
    return true;
  }

  private prologText(): Val {
    const r = this.r;
    const x = r.next();
    if (x < 0.5) return { v: benignText(r), cost: "cheap" };
    if (x < 0.85) return { v: this.clean(r.pick(HOSTILE_TEXT)), cost: "cheap" };
    if (x < 0.91 && this.spend("runaway")) {
      const g = r.pick(
        this.opts.cli ? RUNAWAY_GOALS.filter((g) => !CLI_UNSAFE_GOALS.includes(g)) : RUNAWAY_GOALS,
      );
      return { v: g, cost: "runaway" };
    }
    if (x < 0.96 && this.spend("deep")) {
      const depth = r.pick([10_000, 10_000, 1_500, 1_040, 3_000]);
      const v = r.pick([
        nestF(depth),
        nestList(depth),
        nestParens(depth),
        `p(${"1+".repeat(depth)}1)`,
        `p(${"- ".repeat(depth)}1)`,
        "true" + ", true".repeat(depth),
        "\\+ ".repeat(depth) + "fail",
      ]);
      return { v, cost: "deep" };
    }
    if (x < 1 && this.spend("huge")) {
      const size = Math.min(MB, this.opts.maxString);
      const v = r.pick([
        `big(${"a".repeat(size - 5)})`,
        `big('${"x".repeat(size - 7)}')`,
        hugeString(r, size),
        "p(" + "1,".repeat(size / 2 - 3) + "1)",
      ]);
      return { v, cost: "huge" };
    }
    return { v: benignText(r), cost: "cheap" };
  }

  /** Strip what argv cannot carry. */
  private clean(s: string): string {
    return this.opts.cli ? s.replaceAll("\u0000", "") : s;
  }

  private nameValue(kind: "snapshot" | "memory" | "atom" | "glob" | "any"): Val {
    const r = this.r;
    const x = r.next();
    if (x < 0.45) {
      const pool = kind === "snapshot"
        ? SNAPSHOT_NAMES
        : kind === "memory"
        ? MEMORY_NAMES
        : kind === "glob"
        ? ["*", "api_*", "a?", "h*", "**", "?"]
        : ["p", "q", "edge", "status", "a1", "api_healthy", "h1", "renamed", "loop", "path"];
      return { v: r.pick(pool), cost: "cheap" };
    }
    if (x < 0.9) return { v: this.clean(r.pick(NAMES_HOSTILE)), cost: "cheap" };
    if (x < 0.95) return { v: this.clean(r.pick(HOSTILE_TEXT)), cost: "cheap" };
    if (this.spend("huge")) return { v: hugeString(r, Math.min(MB, this.opts.maxString)), cost: "huge" };
    return { v: "n".repeat(1000), cost: "cheap" };
  }

  private stringFor(p: Param): Val {
    if (p.enum && this.r.chance(0.5)) return { v: this.r.pick(p.enum), cost: "cheap" };
    const n = p.name;
    if (n === "memory") return this.nameValue("memory");
    if (n === "name") return this.r.chance(0.5) ? this.nameValue("snapshot") : this.nameValue("memory");
    if (/functor|assumption|start_node/.test(n)) return this.nameValue("atom");
    if (n === "pattern") return this.nameValue("glob");
    if (n === "scope" || n === "mode") {
      return this.r.chance(0.7)
        ? { v: this.r.pick(["project", "global", "rw", "ro", "", "GLOBAL", "billing", "a_1"]), cost: "cheap" }
        : this.nameValue("any");
    }
    if (n === "head" && this.r.chance(0.4)) return { v: benignHead(this.r), cost: "cheap" };
    if (n === "body" && this.r.chance(0.4)) return { v: benignBody(this.r), cost: "cheap" };
    if (/fact|goal|head|body|category|clause|term|text/.test(n)) return this.prologText();
    if (n === "message") return this.r.chance(0.5) ? this.prologText() : this.nameValue("any");
    return this.r.chance(0.5) ? this.prologText() : this.nameValue("any");
  }

  private integerFor(p: Param): Val {
    const r = this.r;
    const lo = p.minimum ?? 0;
    const hi = p.maximum ?? 100;
    if (this.opts.cli) {
      return {
        v: r.pick([
          String(lo),
          String(hi),
          String(hi + 1),
          String(lo - 1),
          "abc",
          "",
          "1.5",
          "1e3",
          "0x10",
          "99999999999999999999",
          "-0",
          " 7 ",
          "5",
        ]),
        cost: "cheap",
      };
    }
    return {
      v: r.pick([lo, hi, hi + 1, lo - 1, 0, 1, 2, 3, -1, 1.5, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, -0, 5]),
      cost: "cheap",
    };
  }

  private booleanFor(): Val {
    const pool = this.opts.cli
      ? ["true", "false", "yes", "", "TRUE", "1"]
      : [true, false, "true", "false", 1, 0];
    return { v: this.r.pick(pool), cost: "cheap" };
  }

  /** A value of the wrong JSON type. */
  private wrongType(p: Param): Val {
    const r = this.r;
    const deepArr = (n: number) => {
      let v: unknown = "x";
      for (let i = 0; i < n; i++) v = [v];
      return v;
    };
    const pool: unknown[] = [
      null,
      true,
      false,
      0,
      -1,
      1.5,
      1e308,
      [],
      {},
      ["a"],
      { fact: "p(1)" },
      deepArr(r.pick([10, 1000])),
      [[[[]]]],
      JSON.parse('{"__proto__": {"polluted": true}}'),
    ];
    if (p.type !== "string") pool.push("p(1)", "", "1");
    return { v: r.pick(pool), cost: "cheap" };
  }

  private valueFor(p: Param): Val {
    if (this.opts.cli) {
      if (p.type === "integer") return this.integerFor(p);
      if (p.type === "boolean") return this.booleanFor();
      return this.stringFor(p);
    }
    if (this.r.chance(0.12)) return this.wrongType(p);
    if (p.type === "integer") return this.integerFor(p);
    if (p.type === "boolean") return this.booleanFor();
    return this.stringFor(p);
  }

  private count = 0;

  /** The next call. */
  next(): GenCall {
    const r = this.r;
    const every = this.opts.runawayEvery;
    if (every && ++this.count % every === 0) {
      const runners = this.tools.filter((t) => ["query_logic", "explain_why"].includes(t.name));
      const tool = r.pick(runners);
      const goals = SELF_CONTAINED_RUNAWAYS.filter((g) => !this.opts.cli || !CLI_UNSAFE_GOALS.includes(g));
      const param = tool.name === "query_logic" ? "goal" : "fact";
      return { tool: tool.name, args: { [param]: r.pick(goals) }, expectResult: true, cost: "runaway" };
    }
    if (!this.opts.cli && r.chance(0.015)) {
      const tool = r.pick([
        "nosuch_tool",
        "",
        "ECHO",
        "__proto__",
        "constructor",
        "toString",
        "echo ",
        "x".repeat(5000),
      ]);
      return { tool, args: {}, expectResult: false, cost: "cheap" };
    }
    const tool = r.pick(this.tools.filter((t) => !this.opts.exclude?.includes(t.name)));
    const params = paramsOf(tool);
    // No prototype: an extra field named __proto__ stays an own property and is sent as JSON.
    const args: Record<string, unknown> = Object.create(null);
    let cost: Cost = "cheap";
    for (const p of params) {
      const omit = p.required ? r.chance(0.06) : r.chance(p.name === "memory" ? 0.65 : 0.45);
      if (omit) continue;
      const { v, cost: c } = this.valueFor(p);
      args[p.name] = v;
      if (c !== "cheap") cost = c;
    }
    if (r.chance(0.1)) {
      const extra = r.pick([
        "extra",
        "__proto__",
        "constructor",
        "fact",
        "goal",
        "memory",
        "arguments",
        "x".repeat(300),
      ]);
      if (!(extra in args)) {
        args[extra] = this.opts.cli ? "x" : r.pick([1, "x", null, { a: 1 }, [1]]);
      }
    }
    if (!this.opts.cli && r.chance(0.03)) {
      // Not an object: arguments that are absent or null are fine; anything else is a JSON-RPC error.
      const v = r.pick([undefined, null, [], "p(1)", 1, true]);
      const expectResult = v === undefined || v === null;
      return { tool: tool.name, args: v, expectResult, cost: "cheap" };
    }
    return { tool: tool.name, args, expectResult: true, cost };
  }
}
