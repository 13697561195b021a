/** The TMS tools as CLI sub-commands (positional fact for assume-fact), with upstream exit codes. */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { cli, journal, tempProject } from "./_helpers.ts";

/** Run `jobs` with at most `n` at a time (each CLI call is a process). */
async function pool<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  }));
  return out;
}

async function happyPath() {
  const dir = await tempProject();
  const run = async (args: string[], stdout: string) => {
    const r = await cli(dir, args);
    deepStrictEqual(
      { code: r.code, stdout: r.stdout },
      { code: 0, stdout },
      `${args.join(" ")}: ${r.stderr}`,
    );
  };
  await run(
    ["assume-fact", "owner('Alice')", "--assumption", "guess"],
    "Assumed: owner('Alice') under assumption 'guess'\n",
  );
  await run(
    ["assume-fact", "--assumption", "other", "shared(1)"],
    "Assumed: shared(1) under assumption 'other'\n",
  );
  await run(
    ["get-belief-status", "--fact", "owner('Alice')"],
    '{"status":"in","justifications":["guess"],"source":"assumption","present":true}\n',
  );
  await run(
    ["get-justification", "--assumption", "guess", "--format", "json"],
    `["[\\"owner('Alice')\\"]"]\n`,
  );
  await run(["list-assumptions"], '["guess","other"]\n');
  await run(
    ["retract-assumption", "--assumption", "guess"],
    "Retracted assumption 'guess': 1 fact(s) removed\n",
  );
  await run(["retract-assumptions", "--pattern", "o*"], "Retracted pattern 'o*': 1 assumption(s) removed\n");
  await run(["query-logic", "--goal", "owner(_) ; shared(_)"], "[]\n");
}

async function errors() {
  const dir = await tempProject();
  let r = await cli(dir, ["assume-fact", "keep(1)", "--assumption", "keep"]);
  strictEqual(r.code, 0, r.stderr);
  const before = await journal(dir);
  ok(before.includes("tms_justification(keep(1), keep)"));

  const toolError = (cmd: string, args: string[]) => async () => {
    const r = await cli(dir, [cmd, ...args]);
    strictEqual(r.code, 1, `${cmd} ${args.join(" ")}`);
    strictEqual(r.stdout, "", `${cmd} ${args.join(" ")}`);
    ok(r.stderr.startsWith(`zpm ${cmd}: InvalidArguments`), `${cmd} ${args.join(" ")}: ${r.stderr}`);
  };
  const errorResult = (args: string[], message: string) => async () => {
    const r = await cli(dir, args);
    deepStrictEqual(
      { code: r.code, stdout: r.stdout },
      { code: 1, stdout: `ERROR: ${message}\n` },
      args.join(" "),
    );
  };
  const usageError = (args: string[], re: RegExp) => async () => {
    const r = await cli(dir, args);
    strictEqual(r.code, 1, args.join(" "));
    ok(re.test(r.stderr), `${args.join(" ")}: ${r.stderr}`);
  };
  await pool(2, [
    ...["Baseline", "_x", "has-dash", "x),assert(evil(1))"].map((a) =>
      toolError("assume-fact", ["evil(0)", "--assumption", a])
    ),
    toolError("retract-assumption", ["--assumption", "Baseline"]),
    toolError("get-justification", ["--assumption", "has-dash"]),
    toolError("retract-assumptions", ["--pattern", "x),assert(evil(1))"]),
    errorResult(["assume-fact", "", "--assumption", "a"], "assume_fact: fact must not be empty"),
    errorResult(
      ["assume-fact", "evil(X) :- true", "--assumption", "a"],
      "assume_fact: fact must not contain rule syntax",
    ),
    errorResult(["retract-assumption", "--assumption", "nope"], "Unknown assumption 'nope'"),
    usageError(["assume-fact", "evil(1)"], /required option '--assumption <value>' not specified/),
    usageError(["assume-fact", "--assumption", "a"], /missing required argument 'fact'/),
    usageError(["get-belief-status"], /required option '--fact <value>' not specified/),
  ]);
  strictEqual(await journal(dir), before);
  r = await cli(dir, ["list-assumptions"]);
  strictEqual(r.stdout, '["keep"]\n');
}

Deno.test("CLI: every TMS sub-command, its texts, exit codes and errors that write nothing", async () => {
  await Promise.all([happyPath(), errors()]);
});
