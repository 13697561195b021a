/**
 * Syscall-order proof: the real `zpm serve` runs under `strace -f -y` (the engine host is a child
 * process, the journal is written by the parent) while every mutating tool is called over MCP. For
 * each acknowledged mutation the trace must show, after the previous reply and before this reply is
 * written to stdout: the transaction written to `journal.wal`, then that file's `fdatasync` returning
 * 0. For snapshots (save and restore): the temp file written and fsynced, renamed onto its name, the
 * snapshot directory fsynced, and only then `journal.wal` renamed to an archive and the data directory
 * fsynced — all before the reply. A kill -9 keeps the page cache, so only this test notices a missing
 * sync. Needs `strace` (`.ci/run` installs it); skipped loudly without it.
 */
import { ok, strictEqual } from "node:assert/strict";
import { tempProject } from "../helpers/zpm.ts";
import { findOk, hasStrace, parseTrace, replyWrite, type Sys, TracedServer } from "./strace.ts";

/** Check the journal protocol for one mutation reply; `journal` tells which journal.wal path. */
function checkJournalSynced(sys: Sys[], prevReply: number, reply: Sys, label: string, journal: RegExp) {
  const isWal = (s: Sys) => journal.test(s.text);
  const write = findOk(
    sys,
    prevReply,
    reply.entry,
    `${label}: write to journal.wal`,
    (s) => s.call === "write" && isWal(s) && s.text.includes('\\"seq\\":'),
  );
  const sync = findOk(
    sys,
    write.exit,
    reply.entry,
    `${label}: fdatasync of journal.wal after its write`,
    (s) => s.call === "fdatasync" && isWal(s),
  );
  ok(
    sync.exit < reply.entry,
    `${label}: fdatasync returned (line ${sync.exit}) before the reply (${reply.entry})`,
  );
}

/** Check temp-file fsync → rename → dir fsync → journal rotation → data dir fsync, all before the reply. */
function checkSnapshot(sys: Sys[], prevReply: number, reply: Sys, label: string, file: string) {
  const tmp = new RegExp(`/kb/${file}\\.tmp-`);
  const w = findOk(
    sys,
    prevReply,
    reply.entry,
    `${label}: write of the temp file`,
    (s) => s.call === "write" && tmp.test(s.text),
  );
  const f = findOk(
    sys,
    w.exit,
    reply.entry,
    `${label}: fsync of the temp file`,
    (s) => s.call === "fsync" && tmp.test(s.text),
  );
  const r = findOk(
    sys,
    f.exit,
    reply.entry,
    `${label}: rename of the temp file onto ${file}`,
    (s) => /^rename/.test(s.call) && tmp.test(s.text) && s.text.includes(`/kb/${file}"`),
  );
  const d = findOk(
    sys,
    r.exit,
    reply.entry,
    `${label}: fsync of the snapshot directory`,
    (s) => s.call === "fsync" && /<[^>]*\/\.zpm\/kb>\)/.test(s.text),
  );
  const rot = findOk(
    sys,
    d.exit,
    reply.entry,
    `${label}: rotation of journal.wal to an archive`,
    (s) => /^rename/.test(s.call) && /\/data\/journal\.wal", "[^"]*\/data\/journal-\d+\.wal"/.test(s.text),
  );
  findOk(
    sys,
    rot.exit,
    reply.entry,
    `${label}: fsync of the data directory after the rotation`,
    (s) => s.call === "fsync" && /<[^>]*\/\.zpm\/data>\)/.test(s.text),
  );
}

Deno.test({
  name: hasStrace
    ? "syscall order: every mutating tool's journal fdatasync returns before its reply; snapshots sync, rename, sync the directory, then rotate"
    : "syscall order [SKIPPED because strace is missing or cannot trace here: apt-get install strace]",
  ignore: !hasStrace,
  async fn() {
    const dir = await tempProject();
    const traceFile = `${dir}/trace.txt`;
    const srv = await TracedServer.start(dir, traceFile);
    const journals: [number, string, RegExp][] = [];
    const snapshots: [number, string, string][] = [];
    const DEFAULT_WAL = /\/\.zpm\/data\/journal\.wal>/;
    const mutate = async (name: string, args: Record<string, unknown>, wal = DEFAULT_WAL) =>
      journals.push([await srv.tool(name, args), name, wal]);
    let lastId = 0;
    try {
      await mutate("remember_fact", { fact: "parent(tom, bob)" });
      await mutate("define_rule", { head: "grandparent(X, Z)", body: "parent(X, Y), parent(Y, Z)" });
      await mutate("remember_fact", { fact: "status(api, down)" });
      await mutate("update_fact", { old_fact: "status(api, down)", new_fact: "status(api, up)" });
      await mutate("upsert_fact", { fact: "deploy(prod, v1)" });
      await mutate("upsert_fact", { fact: "deploy(prod, v2)" });
      await mutate("forget_fact", { fact: "deploy(prod, v2)" });
      await mutate("remember_fact", { fact: "proj(beta, 2)" });
      await mutate("clear_context", { category: "proj(beta, _)" });
      await mutate("assume_fact", { fact: "healthy(api)", assumption: "baseline" });
      await mutate("retract_assumption", { assumption: "baseline" });
      await mutate("assume_fact", { fact: "healthy(db)", assumption: "hyp_a" });
      await mutate("retract_assumptions", { pattern: "hyp_*" });
      await mutate("rename_predicate", { old_functor: "status", new_functor: "state", arity: 2 });
      snapshots.push([await srv.tool("save_snapshot", { name: "v1" }), "save_snapshot", "v1.pl"]);
      await mutate("remember_fact", { fact: "parent(bob, ann)" });
      snapshots.push([await srv.tool("restore_snapshot", { name: "v1" }), "restore_snapshot", "v1.pl"]);
      await srv.tool("create_memory", { name: "notes", scope: "project" });
      await mutate("remember_fact", { fact: "note(1)", memory: "notes" }, /\/kb\/notes\/journal\.wal>/);
      lastId = await srv.tool("query_logic", { goal: "parent(X, Y)" });
    } finally {
      await srv.close();
    }
    const sys = parseTrace(await Deno.readTextFile(traceFile));
    const replies = new Map<number, Sys>();
    for (let id = 1; id <= lastId; id++) replies.set(id, replyWrite(sys, id));
    for (const [id, name, wal] of journals) {
      checkJournalSynced(sys, replies.get(id - 1)!.entry, replies.get(id)!, `${name} (request ${id})`, wal);
    }
    for (const [id, name, file] of snapshots) {
      checkSnapshot(sys, replies.get(id - 1)!.entry, replies.get(id)!, `${name} (request ${id})`, file);
    }
    strictEqual(journals.length, 16, "every mutating tool was checked");
  },
});

if (!hasStrace) {
  console.warn(
    "\n*** SKIPPED the syscall-order test: strace is missing or cannot trace here (apt-get install strace). ***\n",
  );
}
