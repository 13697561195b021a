/**
 * Group commit on the real server: writes sent without waiting for answers are committed together by
 * fewer fdatasyncs, yet each is acknowledged only after an fdatasync that began after its own journal
 * write (strace proof), in the order sent; a sync that fails fails exactly the writes it covered, and
 * an answer that may have seen them is withheld. The kill -9 loop with 32 writes in flight is in
 * kill9.test.ts.
 */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { McpClient, runZpm, tempProject } from "../helpers/zpm.ts";
import { engineHosts, env } from "../e2e/_helpers.ts";
import { scanJournal } from "../../src/persistence/journal_format.ts";
import { findOk, hasStrace, parseTrace, replyWrite, TracedServer } from "./strace.ts";

const WRITES = 60;

Deno.test({
  name: hasStrace
    ? `group commit: ${WRITES} writes in flight share fdatasyncs, and each reply follows a sync that began after its own journal write`
    : "group commit syscall order [SKIPPED because strace is missing or cannot trace here: apt-get install strace]",
  ignore: !hasStrace,
  async fn() {
    const dir = await tempProject();
    const traceFile = `${dir}/trace.txt`;
    // A slow disk (each sync waits 20 ms first): an answer sent before its sync could not hide in timing.
    const srv = await TracedServer.start(dir, traceFile, { ZPM_TEST_SLOW_SYNC_MS: "20" });
    let ids: number[];
    try {
      await srv.tool("remember_fact", { fact: "warm(up)" }); // the engine's first write, not timed
      ids = await srv.send(
        Array.from({ length: WRITES }, (_, i) => ({
          method: "tools/call",
          params: { name: "remember_fact", arguments: { fact: `gc(${i})` } },
        })),
      );
      const replies = await srv.replies(ids);
      for (const id of ids) {
        const r = replies.get(id)!.result as { isError: boolean; content: { text: string }[] };
        strictEqual(r.isError, false, JSON.stringify(r));
      }
    } finally {
      await srv.close();
    }
    const sys = parseTrace(await Deno.readTextFile(traceFile));
    const isWal = (s: { text: string }) => /\/\.zpm\/data\/journal\.wal>/.test(s.text);
    const first = replyWrite(sys, ids[0] - 1).entry; // the warm-up write's reply
    ids.forEach((id, i) => {
      const reply = replyWrite(sys, id);
      const write = findOk(
        sys,
        first,
        reply.entry,
        `gc(${i}): its journal write before its reply`,
        (s) => s.call === "write" && isWal(s) && s.text.includes(`gc(${i})`),
      );
      findOk(
        sys,
        write.exit,
        reply.entry,
        `gc(${i}): an fdatasync of journal.wal that began after its write and returned before its reply`,
        (s) => s.call === "fdatasync" && isWal(s),
      );
    });
    const syncs = sys.filter((s) => s.call === "fdatasync" && isWal(s) && s.entry > first).length;
    ok(syncs <= WRITES / 2, `${WRITES} writes in flight took ${syncs} fdatasyncs: they were not grouped`);
    // Planned together: the requests to the engine that carry these writes are far fewer than the writes.
    const planCalls = sys.filter((s) =>
      s.call === "write" && !isWal(s) && s.entry > first && /apply_plans?\\"/.test(s.text) &&
      /gc\(\d+\)/.test(s.text)
    ).length;
    ok(planCalls > 0 && planCalls <= WRITES / 4, `${WRITES} writes in flight took ${planCalls} engine calls`);
    console.log(`group commit: ${WRITES} writes in flight, ${syncs} fdatasyncs, ${planCalls} engine calls`);

    // One transaction per write, in the order sent, with consecutive sequence numbers.
    const scan = scanJournal(await Deno.readFile(`${dir}/.zpm/data/journal.wal`));
    strictEqual(scan.damage, null);
    const facts = scan.transactions.map((t) =>
      t.records[0].clause
    );
    deepStrictEqual(facts, ["warm(up)", ...Array.from({ length: WRITES }, (_, i) => `gc(${i})`)]);
    scan.transactions.forEach((t, i) => strictEqual(t.seq, (scan.transactions[0].seq ?? 0) + i));
  },
});

Deno.test("group commit: a failed fdatasync fails the writes it covered and withholds answers that saw them; the rest is kept", async () => {
  const dir = await tempProject();
  const mcp = await McpClient.start({ cwd: dir, env: env(dir, { ZPM_TEST_FAIL_SYNC: "journal:1" }) });
  const sent: Promise<{ isError?: boolean; content: { text: string }[] }>[] = [];
  try {
    for (let i = 0; i < 20; i++) sent.push(mcp.call("remember_fact", { fact: `f(${i})` }));
    const read = mcp.call("query_logic", { goal: "findall(X, f(X), L)" });
    for (let i = 20; i < 40; i++) sent.push(mcp.call("remember_fact", { fact: `f(${i})` }));
    const results = await Promise.all(sent);
    const acked = results.flatMap((r, i) => r.isError ? [] : [i]);
    const failed = results.flatMap((r, i) => r.isError ? [i] : []);
    ok(failed.length > 0, "the injected sync failure must fail some write");
    ok(acked.length > 0, "writes after the failure must work");
    for (const i of failed) {
      match(results[i].content[0].text, /could not write the journal .*Input\/output error/s);
    }
    // The writes a failed sync covered were the first ones sent: a later write never survives them.
    ok(Math.max(...failed) < Math.min(...acked), `failed ${failed} / acknowledged ${acked}`);

    // The read was sent after f(0)..f(19): it is answered only with stored knowledge, or withheld.
    const r = await read;
    const stored = new Set(acked);
    if (r.isError) match(r.content[0].text, /could not be saved .*the answer was withheld/s);
    else {
      for (const x of JSON.parse(r.content[0].text)[0].L as number[]) {
        ok(stored.has(x), `the read showed f(${x}), which was not saved`);
      }
    }
    const now = JSON.parse(await mcp.text("query_logic", { goal: "findall(X, f(X), L)" }))[0].L;
    deepStrictEqual(now, acked, "the engine holds exactly the acknowledged writes");
  } finally {
    strictEqual(await mcp.close(), 0);
  }
  const q = await runZpm(["query-logic", "--goal", "findall(X, f(X), L)"], { cwd: dir, env: env(dir) });
  const acked = (await Promise.all(sent)).flatMap((r, i) => r.isError ? [] : [i]);
  deepStrictEqual(JSON.parse(q.stdout)[0].L, acked, "after a restart: exactly the acknowledged writes");
});

/** A mixed run of writes: good ones, refused ones, no-ops, removals, rules and assumptions. */
function mixedCalls(): { name: string; args: Record<string, string> }[] {
  const calls: { name: string; args: Record<string, string> }[] = [];
  for (let i = 0; i < 150; i++) {
    if (i === 60) calls.push({ name: "define_rule", args: { head: "q(X)", body: "p(X), X > 50" } });
    else if (i === 90) calls.push({ name: "retract_assumption", args: { assumption: "a1" } });
    else if (i === 100) calls.push({ name: "update_fact", args: { old_fact: "p(2)", new_fact: "p(200)" } });
    else if (i === 120) calls.push({ name: "remember_fact", args: { fact: "forbidden :- shell(ls)" } });
    else if (i % 7 === 3) calls.push({ name: "remember_fact", args: { fact: `p(${i}` } }); // syntax error
    else if (i % 11 === 5) calls.push({ name: "remember_fact", args: { fact: `p(${i - 1})` } }); // maybe known
    else if (i % 13 === 6) calls.push({ name: "forget_fact", args: { fact: `p(${i - 3})` } });
    else if (i % 17 === 8) {
      calls.push({ name: "assume_fact", args: { fact: `h(${i})`, assumption: `a${i % 3}` } });
    } else if (i % 19 === 9) calls.push({ name: "upsert_fact", args: { fact: `cnt(${i})` } });
    else calls.push({ name: "remember_fact", args: { fact: `p(${i}, 'text ''${i}''')` } });
  }
  return calls;
}

type Call = { name: string; args: Record<string, unknown> };

/**
 * Run `calls` pipelined with group commit and one at a time without it, each on a fresh project after
 * `setup`; both must give the same answers, the same `state`, and the same number of transactions.
 */
async function sameAsOneByOne(
  calls: Call[],
  state: string,
  o: { setup?: Call[]; env?: Record<string, string> },
) {
  const run = async (pipelined: boolean) => {
    const dir = await tempProject();
    const extra: Record<string, string> = pipelined
      ? { ZPM_TEST_SLOW_SYNC_MS: "5" }
      : { ZPM_GROUP_COMMIT: "off" };
    const mcp = await McpClient.start({ cwd: dir, env: env(dir, { ...o.env, ...extra }) });
    try {
      for (const c of o.setup ?? []) strictEqual((await mcp.call(c.name, c.args)).isError, false);
      const results = pipelined
        ? await Promise.all(calls.map((c) => mcp.call(c.name, c.args)))
        : await calls.reduce(
          async (acc, c) => [...await acc, await mcp.call(c.name, c.args)],
          Promise.resolve([] as Awaited<ReturnType<McpClient["call"]>>[]),
        );
      const answers = results.map((r) => `${r.isError ? "error" : "ok"}: ${r.content[0].text}`);
      return { answers, now: await mcp.text("query_logic", { goal: state }), dir };
    } finally {
      strictEqual(await mcp.close(), 0);
    }
  };
  const one = await run(false);
  const together = await run(true);
  ok(one.answers.some((a) => a.startsWith("error")) && one.answers.some((a) => a.startsWith("ok")));
  deepStrictEqual(together.answers, one.answers, "the same answer to every call");
  strictEqual(together.now, one.now, "the same knowledge");
  const again = await runZpm(["query-logic", "--goal", state], {
    cwd: together.dir,
    env: env(together.dir, o.env),
  });
  strictEqual(again.stdout.trim(), one.now, "the same knowledge after a restart");
  // The pipelined run wrote fewer fdatasyncs' worth of groups, but one transaction per changing write.
  const txs = (dir: string) =>
    scanJournal(Deno.readFileSync(`${dir}/.zpm/data/journal.wal`)).transactions.length;
  strictEqual(txs(together.dir), txs(one.dir));
  return one.answers;
}

Deno.test("group commit: writes planned together answer and store exactly as the same writes one at a time", async () => {
  const state = "findall(X, (member(G, [p(_), p(_, _), h(_), cnt(_), q(_)]), call(G), X = G), L)";
  await sameAsOneByOne(mixedCalls(), state, {});
});

Deno.test("group commit: a write that passes its deadline among writes planned together fails alone, as it would alone", async () => {
  // Clearing 20,000 facts takes far longer than a 150 ms deadline; a remember_fact takes well under 1 ms.
  const wide = (k: number) => ({
    name: "remember_facts",
    args: { facts: Array.from({ length: 10_000 }, (_, i) => `wide(${k * 10_000 + i})`) },
  });
  const calls: Call[] = [];
  for (let i = 0; i < 40; i++) calls.push({ name: "remember_fact", args: { fact: `x(${i})` } });
  calls.push({ name: "clear_context", args: { category: "wide(_)" } });
  for (let i = 40; i < 80; i++) calls.push({ name: "remember_fact", args: { fact: `x(${i})` } });
  calls.push({ name: "forget_fact", args: { fact: "x(3)" } });
  const state = "aggregate_all(count, wide(_), W), findall(X, x(X), L)";
  const answers = await sameAsOneByOne(calls, state, {
    setup: [wide(0), wide(1)],
    env: { ZPM_QUERY_TIMEOUT_MS: "150" },
  });
  match(answers[40], /^error: .*time limit \(150 ms\) exceeded/);
  strictEqual(answers.filter((a) => a.startsWith("error")).length, 1, answers.join("\n"));
});

Deno.test("group commit: an engine killed while writes are planned together fails only what it must; the rest is kept", async () => {
  const dir = await tempProject();
  const mcp = await McpClient.start({ cwd: dir, env: env(dir, { ZPM_TEST_SLOW_SYNC_MS: "20" }) });
  const n = 2000;
  const sent: Promise<{ isError?: boolean; content: { text: string }[] }>[] = [];
  const stored = async () => {
    const goal = "findall(X, (k(X), integer(X)), L)";
    let r = await mcp.call("query_logic", { goal });
    // The kill may have hit an idle engine: the next call finds it dead and starts another.
    if (r.isError && /engine process died/.test(r.content[0].text)) {
      r = await mcp.call("query_logic", { goal });
    }
    strictEqual(r.isError, false, r.content[0].text);
    return JSON.parse(r.content[0].text)[0].L;
  };
  try {
    await mcp.call("remember_fact", { fact: "k(warm)" });
    const hosts = await engineHosts(mcp.child.pid);
    for (let i = 0; i < n; i++) sent.push(mcp.call("remember_fact", { fact: `k(${i})` }));
    await sent[100]; // later writes are still being planned
    for (const pid of hosts) Deno.kill(pid, "SIGKILL");
    const results = await Promise.all(sent);
    const acked = results.flatMap((r, i) => r.isError ? [] : [i]);
    for (const r of results.filter((r) => r.isError)) {
      match(r.content[0].text, /engine|no knowledge was lost/);
    }
    // Writes planned together when the engine died are planned again one by one: at most one fails.
    ok(acked.length >= n - 1, `${acked.length} of ${n} acknowledged`);
    deepStrictEqual(await stored(), acked, "the engine holds exactly the acknowledged writes");
  } finally {
    strictEqual(await mcp.close(), 0);
  }
  const acked = (await Promise.all(sent)).flatMap((r, i) => r.isError ? [] : [i]);
  const q = await runZpm(["query-logic", "--goal", "findall(X, (k(X), integer(X)), L)"], {
    cwd: dir,
    env: env(dir),
  });
  deepStrictEqual(JSON.parse(q.stdout)[0].L, acked, "after a restart: exactly the acknowledged writes");
});
