/**
 * Bulk loads in the engine (`remember_many`, src/engine/prolog/bulk.pl): all items are read from one
 * stream when each gives exactly one term of its own, and the batch is emitted as ONE `assert_many`
 * record. These tests hold that fast path to the meaning of asserting each item on its own: the same
 * items refused with the same messages, the same knowledge stored, and a replay of the record giving
 * that knowledge again.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { WasmEngine } from "../../src/engine/wasm_engine.ts";
import type { PlannedRecord } from "../../src/engine/types.ts";

Deno.env.set("ZPM_ENGINE_CACHE", "off");

const MAX_KB = 256 * 1024 * 1024;

interface Planned {
  records: PlannedRecord[];
  result: { count: number };
}

/** Apply a bulk load in `e`; the reply (value, or error message). */
function bulk(e: WasmEngine, items: string[]): { ok: true; value: Planned } | { ok: false; error: string } {
  const r = e.rpc("apply_plan", [0, "remember_many", ...items] as never);
  return r.ok ? { ok: true, value: r.value as Planned } : { ok: false, error: r.error };
}

/**
 * The memory's knowledge with its source links, as export writes it, predicate by predicate in name
 * order (clause order within a predicate is kept; the order of predicates is the engine's own).
 */
function knowledge(e: WasmEngine): string {
  const r = e.rpc("export", [1]);
  if (!r.ok) throw new Error(r.error);
  return r.value.text.split(/(?=^:- dynamic)/m).sort().join("");
}

/** What asserting each item alone (remember_fact) refuses, by item number, and the knowledge after. */
function oneByOne(items: string[]): Promise<{ refused: Map<number, string>; text: string }> {
  return WasmEngine.create(MAX_KB).then((e) => {
    const refused = new Map<number, string>();
    items.forEach((item, i) => {
      const r = e.rpc("apply_plan", [0, "remember", item] as never);
      if (!r.ok) refused.set(i + 1, r.error);
    });
    return { refused, text: knowledge(e) };
  });
}

/** Refused items of a bulk load's error message: item number → message. */
function refusedItems(error: string): Map<number, string> {
  const m = new Map<number, string>();
  const parts = error.split(/\nitem (\d+): /);
  for (let i = 1; i < parts.length; i += 2) m.set(Number(parts[i]), parts[i + 1]);
  return m;
}

/** Check the bulk load of `items` against asserting them one by one, and its replay. */
async function sameAsOneByOne(items: string[]) {
  const e = await WasmEngine.create(MAX_KB);
  const got = bulk(e, items);
  const want = await oneByOne(items);
  if (want.refused.size > 0) {
    ok(!got.ok, `the batch must be refused: ${JSON.stringify(items)}`);
    deepStrictEqual(refusedItems(got.error), want.refused, JSON.stringify(items));
    strictEqual(knowledge(e), knowledge(await WasmEngine.create(MAX_KB)), "a refused batch stores nothing");
    return;
  }
  ok(got.ok, `${JSON.stringify(items)}: ${!got.ok && got.error}`);
  strictEqual(got.value.result.count, items.length);
  strictEqual(knowledge(e), want.text, JSON.stringify(items));
  deepStrictEqual(got.value.records.map((r) => r.op), ["assert_many"]);
  // The record replayed into a fresh engine gives the same knowledge.
  const replay = await WasmEngine.create(MAX_KB);
  const flat = got.value.records.flatMap((r) => [r.op, r.clause]);
  const applied = replay.rpc("apply", flat);
  ok(applied.ok, !applied.ok ? applied.error : "");
  strictEqual(knowledge(replay), want.text, `replay of ${JSON.stringify(items)}`);
}

Deno.test("bulk load: every kind of item text means what it means alone", async () => {
  const good = [
    "likes(ann, tea)",
    "likes(bob, coffee).",
    "likes(cy, milk). ",
    "  likes(di, water)  \n",
    "likes(ed, juice) /* a comment */",
    "likes(fay, soda). % a comment",
    "'hello world'(x)",
    'note("a string with \\"quotes\\" and \\\\ slashes")',
    "note('it''s')",
    "pair(X, Y) :- likes(X, Y), likes(Y, X)",
    "p(X, Y, X)",
    "op_term(a - b * c)",
    "num(1.5e10, -3, 0'a)",
    "chars(0'.)",
    "long(" + "x".repeat(400) + ")",
    "deep(" + "f(".repeat(100) + "z" + ")".repeat(100) + ")",
    "list([1, 2, [3|T], T])",
    "plain :- true", // stored as the fact plain, and linked as that fact
    "note('100% sure')",
    "note(x) /* % not a line comment */",
  ];
  deepStrictEqual([...(await oneByOne(good)).refused], [], "each of these is a good clause alone");
  await sameAsOneByOne(good);
});

Deno.test("bulk load: items that are not exactly one clause are refused as they would be alone", async () => {
  const cases: string[][] = [
    ["likes(a, b)", "a. 'b", "c'"], // a quote opened in one item must not swallow the next
    ["first. second", "ok(1)"],
    ["ok(1)", "broken(", "ok(2)"],
    ["ok(1)", "", "ok(2)"],
    ["ok(1)", "   ", "ok(2)"],
    ["ok(1)", "end_of_file"],
    ["ok(1)", "likes(a, b) % the end ."],
    ["ok(1)", "X"],
    ["ok(1)", '"just a string"'],
    ["ok(1)", "42"],
    ["ok(1)", "zpm_source(x, y)"],
    ["ok(1)", "(a, b)"],
    ["ok(1)", "a:b"],
    ["ok(1)", "a :- b :- c"],
    ["ok(1)", "nul(\u0000)"],
    ["ok(1)", "deep(" + "f(".repeat(300) + "z" + ")".repeat(300) + ")"],
    ["ok(1)", "deep(" + "- ".repeat(300) + "z)"],
    ["ok(1)", "x = 0'."],
    ["ok(1)", "t :- (a."],
  ];
  for (const items of cases) await sameAsOneByOne(items);
});

Deno.test("bulk load: a clause stored twice gets one source link; replay keeps both copies", async () => {
  const e = await WasmEngine.create(MAX_KB);
  const first = bulk(e, ["likes(a, b)", "likes(a, b)", "r(X) :- likes(X, _)", "r(Y) :- likes(Y, _)"]);
  ok(first.ok);
  const again = bulk(e, ["likes(a, b)", "r(Z) :- likes(Z, _)"]);
  ok(again.ok);
  const text = knowledge(e);
  strictEqual(text.match(/^likes\(a, ?b\)\.$/gm)?.length, 3, text);
  strictEqual(text.match(/^zpm_source\(likes\(a, ?b\), ?interactive\)\.$/gm)?.length, 1, text);
  strictEqual(text.match(/^zpm_source\(\(r\(/gm)?.length, 1, text);
  const replay = await WasmEngine.create(MAX_KB);
  for (const r of [first.value, again.value]) {
    const applied = replay.rpc("apply", r.records.flatMap((x) => [x.op, x.clause]));
    ok(applied.ok);
  }
  strictEqual(knowledge(replay), text);
});

Deno.test("bulk load: a reply text over 64 KiB arrives whole (the engine's blobs)", async () => {
  const e = await WasmEngine.create(MAX_KB);
  const items = Array.from({ length: 3000 }, (_, i) => `big(n${i}, 'payload ${"é".repeat(20)} ${i}')`);
  const r = bulk(e, items);
  ok(r.ok);
  const clause = r.value.records[0].clause;
  ok(clause.length > 65536);
  ok(clause.startsWith("big(n0, 'payload é"), clause.slice(0, 60));
  ok(clause.endsWith("interactive) . "), clause.slice(-60));
  strictEqual(clause.match(/ \. /g)?.length, 6000);
});
