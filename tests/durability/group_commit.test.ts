/**
 * Group commit on the real server: writes sent without waiting for answers are committed together by
 * fewer fdatasyncs, yet each is acknowledged only after an fdatasync that began after its own journal
 * write (strace proof), in the order sent; a sync that fails fails exactly the writes it covered, and
 * an answer that may have seen them is withheld. The kill -9 loop with 32 writes in flight is in
 * kill9.test.ts.
 */
import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { McpClient, runZpm, tempProject } from "../helpers/zpm.ts";
import { env } from "../e2e/_helpers.ts";
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
    console.log(`group commit: ${WRITES} writes in flight, ${syncs} fdatasyncs`);

    // One transaction per write, in the order sent, with consecutive sequence numbers.
    const scan = scanJournal(await Deno.readFile(`${dir}/.zpm/data/journal.wal`));
    strictEqual(scan.damage, null);
    const facts = scan.transactions.map((t) => t.records[0].clause);
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
