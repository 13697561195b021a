/** TMS state is durable: identical after a restart, after snapshot + restore, and upstream journals work. */
import { deepStrictEqual, notDeepStrictEqual, strictEqual } from "node:assert/strict";
import { assertOk, count, fingerprint, json, serve, tempProject } from "./_helpers.ts";

const PREDS = ["owner/1", "note/1", "shared/1", "status/2", "deep/1"];

Deno.test("assumptions, links and sources are identical after a restart and after snapshot + restore", async () => {
  const dir = await tempProject();
  let mcp = await serve(dir);
  try {
    await mcp.call("remember_fact", { fact: "owner(bob)" });
    await mcp.call("assume_fact", { fact: "owner('Alice')", assumption: "guess" });
    await mcp.call("assume_fact", { fact: "note('it''s')", assumption: "guess" });
    await mcp.call("assume_fact", { fact: "shared(1)", assumption: "a1" });
    await mcp.call("assume_fact", { fact: "shared(1)", assumption: "a2" });
    await mcp.call("remember_fact", { fact: "status(api, up)" });
    await mcp.call("assume_fact", { fact: "status(api, up)", assumption: "a1" });
    await mcp.call("assume_fact", { fact: "deep([x, \"s\", f('Q', [1.5])])", assumption: "a2" });
    const state = await fingerprint(mcp, PREDS);
    const lists = {
      assumptions: await json(mcp, "list_assumptions"),
      guess: await json(mcp, "get_justification", { assumption: "guess" }),
      a1: await json(mcp, "get_justification", { assumption: "a1" }),
      a2: await json(mcp, "get_justification", { assumption: "a2" }),
      alice: await json(mcp, "get_belief_status", { fact: "owner('Alice')" }),
      status: await json(mcp, "get_belief_status", { fact: "status(api, up)" }),
    };
    deepStrictEqual(lists.assumptions, ["guess", "a1", "a2"]);
    deepStrictEqual(lists.status.source, "interactive");
    strictEqual(state.filter((c) => c.startsWith("tms_justification(")).length, 6);
    strictEqual(state.filter((c) => c.startsWith("zpm_source(")).length, 6);
    const snapshotState = async () => ({
      state: await fingerprint(mcp, PREDS),
      assumptions: await json(mcp, "list_assumptions"),
      guess: await json(mcp, "get_justification", { assumption: "guess" }),
      a1: await json(mcp, "get_justification", { assumption: "a1" }),
      a2: await json(mcp, "get_justification", { assumption: "a2" }),
      alice: await json(mcp, "get_belief_status", { fact: "owner('Alice')" }),
      status: await json(mcp, "get_belief_status", { fact: "status(api, up)" }),
    });
    const expected = { state, ...lists };
    strictEqual(await mcp.close(), 0);

    // 1. restart: rebuilt from the journal alone
    mcp = await serve(dir);
    deepStrictEqual(await snapshotState(), expected);

    // 2. snapshot, change everything, restore
    assertOk(
      await mcp.call("save_snapshot", { name: "tms1" }),
      "Snapshot 'tms1' saved successfully.",
      "6 clause(s) saved.",
    );
    assertOk(
      await mcp.call("retract_assumptions", { pattern: "*" }),
      "Retracted pattern '*': 3 assumption(s) removed",
    );
    await mcp.call("assume_fact", { fact: "owner(carol)", assumption: "later" });
    notDeepStrictEqual(await snapshotState(), expected);
    assertOk(
      await mcp.call("restore_snapshot", { name: "tms1" }),
      "Snapshot 'tms1' restored successfully.",
      "6 clause(s) restored.",
    );
    deepStrictEqual(await snapshotState(), expected);
    strictEqual(await mcp.close(), 0);

    // 3. restart after the restore: still identical, and retraction still works on the rebuilt state
    mcp = await serve(dir);
    deepStrictEqual(await snapshotState(), expected);
    assertOk(
      await mcp.call("retract_assumption", { assumption: "guess" }),
      "Retracted assumption 'guess': 2 fact(s) removed",
    );
    assertOk(
      await mcp.call("retract_assumption", { assumption: "a1" }),
      "Retracted assumption 'a1': 0 fact(s) removed",
    );
    assertOk(
      await mcp.call("retract_assumption", { assumption: "a2" }),
      "Retracted assumption 'a2': 2 fact(s) removed",
    );
    deepStrictEqual(await fingerprint(mcp, PREDS), [
      "owner(bob):-true",
      "status(api,up):-true",
      "zpm_source(owner(bob),interactive):-true",
      "zpm_source(status(api,up),interactive):-true",
    ]);
  } finally {
    await mcp.close();
  }
});

Deno.test("an upstream (Zig) journal: its assumptions are listed and retracting them removes their facts", async () => {
  const dir = await tempProject();
  const lines = [
    { ts: 1714000000, op: "assert", clause: "deployed(app, prod)" },
    { ts: 1714000000, op: "assert", clause: "tms_justification(deployed(app, prod), baseline)" },
    // upstream assume_fact asserted a copy on every call
    { ts: 1714000001, op: "assert", clause: "deployed(app, prod)" },
    { ts: 1714000002, op: "assert", clause: "deployed(db, prod)" },
    { ts: 1714000002, op: "assert", clause: "tms_justification(deployed(db, prod), baseline)" },
    { ts: 1714000003, op: "assert", clause: "tms_justification(deployed(db, prod), other)" },
    { ts: 1714000004, op: "assert", clause: "deployed(cache, dev)" },
  ];
  await Deno.writeTextFile(
    `${dir}/.zpm/data/journal.wal`,
    lines.map((l) => JSON.stringify(l) + "\n").join(""),
  );
  const mcp = await serve(dir);
  try {
    assertOk(await mcp.call("list_assumptions"), '["baseline","other"]');
    strictEqual((await json(mcp, "get_belief_status", { fact: "deployed(app, prod)" })).status, "in");
    // No provenance was journaled upstream: the links' facts are the assumption's own, as upstream treats them.
    assertOk(
      await mcp.call("retract_assumption", { assumption: "baseline" }),
      "Retracted assumption 'baseline': 1 fact(s) removed",
    );
    strictEqual(await count(mcp, "deployed(app, _)"), 0); // both upstream copies
    strictEqual(await count(mcp, "deployed(db, prod)"), 1); // still supported by 'other'
    strictEqual(await count(mcp, "deployed(cache, dev)"), 1); // never assumed
    // Re-assuming an upstream fact that has no link and no provenance marks it as asserted on its own.
    await mcp.call("assume_fact", { fact: "deployed(cache, dev)", assumption: "later" });
    assertOk(
      await mcp.call("retract_assumption", { assumption: "later" }),
      "Retracted assumption 'later': 0 fact(s) removed",
    );
    strictEqual(await count(mcp, "deployed(cache, dev)"), 1);
  } finally {
    await mcp.close();
  }
});
