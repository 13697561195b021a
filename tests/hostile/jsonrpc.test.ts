/**
 * Malformed JSON-RPC on the stdin of `zpm serve` (issue 7): broken JSON, a 10 MB line, invalid
 * UTF-8, wrong `jsonrpc` fields, unknown methods, requests before `initialize`, batches, null and
 * huge ids, notifications with bad params, client responses nobody asked for. Every request gets a
 * JSON-RPC error (or, where the protocol allows it, a result), notifications are ignored, stdout
 * carries protocol messages only, and the server still answers `echo` afterwards and exits 0 at EOF.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { zpmCommand } from "../helpers/zpm.ts";
import { makeSandbox } from "./harness.ts";

type Msg = {
  jsonrpc?: unknown;
  id?: unknown;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
};

const enc = new TextEncoder();
const line = (o: unknown) => JSON.stringify(o) + "\n";
const req = (id: unknown, method: string, params?: unknown) =>
  line({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
const note = (method: string, params?: unknown) =>
  line({ jsonrpc: "2.0", method, ...(params === undefined ? {} : { params }) });
const INIT = {
  protocolVersion: "2025-11-25",
  capabilities: {},
  clientInfo: { name: "hostile", version: "1" },
};

/** Run one `zpm serve` session: write every chunk, close stdin, collect stdout lines. */
async function session(
  chunks: (string | Uint8Array)[],
): Promise<{ code: number; msgs: Msg[]; stderr: string }> {
  const sb = await makeSandbox("zpm-jsonrpc-");
  const { cmd, args } = zpmCommand(["serve", "--timeout-ms", "2000"]);
  const child = new Deno.Command(cmd, {
    args,
    cwd: sb.project,
    env: sb.env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Read while writing: answers (a 100 KB id echoed back) must not fill the pipe and stall the server.
  const output = child.output();
  const w = child.stdin.getWriter();
  for (const c of chunks) await w.write(typeof c === "string" ? enc.encode(c) : c);
  await w.close();
  const out = await output;
  const text = new TextDecoder().decode(out.stdout);
  ok(text === "" || text.endsWith("\n"), "every stdout message ends with a newline");
  const msgs = text.split("\n").filter((l) => l !== "").map((l) => {
    let m: Msg;
    try {
      m = JSON.parse(l);
    } catch {
      throw new Error(`stdout line is not JSON: ${l.slice(0, 300)}`);
    }
    strictEqual(m.jsonrpc, "2.0", l.slice(0, 300));
    ok(("result" in m) !== ("error" in m), `exactly one of result/error: ${l.slice(0, 300)}`);
    if (m.error) ok(typeof m.error.code === "number" && typeof m.error.message === "string", l.slice(0, 300));
    return m;
  });
  const stderr = new TextDecoder().decode(out.stderr);
  await Deno.remove(sb.root, { recursive: true }).catch(() => {});
  return { code: out.code, msgs, stderr };
}

function byId(msgs: Msg[], id: unknown): Msg[] {
  return msgs.filter((m) => JSON.stringify(m.id) === JSON.stringify(id));
}

function one(msgs: Msg[], id: unknown): Msg {
  const found = byId(msgs, id);
  strictEqual(
    found.length,
    1,
    `exactly one answer for id ${JSON.stringify(id)?.slice(0, 80)}: ${JSON.stringify(found).slice(0, 500)}`,
  );
  return found[0];
}

function errorCode(msgs: Msg[], id: unknown): number | undefined {
  return one(msgs, id).error?.code;
}

Deno.test("malformed JSON-RPC on stdin gets JSON-RPC errors, never a crash; the server still answers", async () => {
  const huge = "x".repeat(10 * 1024 * 1024);
  const deepArray = "[".repeat(100_000) + "]".repeat(100_000);
  let deepArgs: unknown = "leaf";
  for (let i = 0; i < 5_000; i++) deepArgs = { a: deepArgs };
  const longId = "i".repeat(100_000);

  const chunks: (string | Uint8Array)[] = [
    // Before initialize: requests are refused, ping is allowed, notifications are ignored.
    req("pre-list", "tools/list"),
    req("pre-call", "tools/call", { name: "echo", arguments: { message: "too early" } }),
    req("pre-ping", "ping"),
    note("notifications/initialized"),
    req(1, "initialize", INIT),
    note("notifications/initialized"),
    // Broken JSON and non-objects: answered with id null, in order.
    "{\n",
    '{"jsonrpc":"2.0","id":7,"method":"ping"\n',
    "not json at all\n",
    "\u0000\u0001\u0002\n",
    new Uint8Array([0xff, 0xfe, 0x7b, 0x7d, 0x0a]),
    '"a string"\n',
    "123\n",
    "null\n",
    "true\n",
    "[]\n",
    line([{ jsonrpc: "2.0", id: "in-batch", method: "ping" }]),
    deepArray + "\n",
    huge + "\n",
    line({
      jsonrpc: "2.0",
      id: "big",
      method: "tools/call",
      params: { name: "echo", arguments: { message: huge } },
    }),
    // Blank lines and CRLF endings are fine.
    "\n   \n",
    '{"jsonrpc":"2.0","id":"crlf","method":"ping"}\r\n',
    // Wrong or missing "jsonrpc".
    line({ jsonrpc: "1.0", id: "v1", method: "ping" }),
    line({ id: "v2", method: "ping" }),
    line({ jsonrpc: 2, id: "v3", method: "ping" }),
    line({ jsonrpc: null, id: "v4", method: "tools/list" }),
    line({ jsonrpc: "1.0" }),
    // Unknown methods and odd requests.
    req("m1", "foo/bar"),
    req("m2", ""),
    req("m3", "resources/list"),
    req("m4", "prompts/get", { name: "x" }),
    req("m5", "tools/call"),
    req("m6", "tools/call", { name: 42 }),
    req("m7", "tools/call", { name: "echo", arguments: [1, 2] }),
    req("m8", "tools/call", { name: "echo", arguments: "x" }),
    req("m9", "tools/call", "params as a string"),
    req("m10", "tools/call", { name: "no_such_tool", arguments: {} }),
    req("m11", "tools/list", { cursor: { not: "a string" } }),
    req("m12", "initialize", { protocolVersion: 5 }),
    req("m13", "logging/setLevel", { level: "nonsense" }),
    line({ jsonrpc: "2.0", id: "m14", method: 42 }),
    line({ jsonrpc: "2.0", id: "m15" }),
    req("m16", "tools/call", { name: "echo", arguments: { message: deepArgs } }),
    // Members the protocol does not define are ignored; params must be an object.
    line({ jsonrpc: "2.0", id: "x1", method: "ping", extra: 1, result: {} }),
    req("x2", "ping", "x"),
    req("x3", "tools/list", [1]),
    req("x4", "ping", null),
    // Ids: null, objects, fractions and integers beyond 2^53 are refused (with id null); the rest is echoed.
    line({ jsonrpc: "2.0", id: null, method: "ping" }),
    line({ jsonrpc: "2.0", id: {}, method: "ping" }),
    line({ jsonrpc: "2.0", id: [1], method: "ping" }),
    req(1e308, "ping"),
    '{"jsonrpc":"2.0","id":18446744073709551616,"method":"ping"}\n',
    req(-1, "ping"),
    req(Number.MAX_SAFE_INTEGER, "ping"),
    req(0, "ping"),
    req(1.5, "ping"),
    req("", "ping"),
    req(longId, "ping"),
    // Notifications with bad params: ignored.
    note("notifications/cancelled", { requestId: {} }),
    note("notifications/cancelled", "x"),
    note("notifications/progress", null),
    note("notifications/initialized", [1, 2]),
    note("notifications/whatever", { a: 1 }),
    note(""),
    // Responses nobody asked for.
    line({ jsonrpc: "2.0", id: 999, result: {} }),
    line({ jsonrpc: "2.0", id: 998, error: { code: 1, message: "x" } }),
    line({ jsonrpc: "2.0", id: null, error: { code: 1, message: "x" } }),
    // Still alive.
    req("final", "tools/call", { name: "echo", arguments: { message: "still here" } }),
  ];
  const t0 = performance.now();
  const { code, msgs, stderr } = await session(chunks);
  const ms = performance.now() - t0;
  strictEqual(code, 0, `exit code; stderr:\n${stderr.slice(-2000)}`);
  ok(!/Uncaught|panicked/.test(stderr), `no crash on stderr:\n${stderr.slice(-2000)}`);

  // Before initialize.
  strictEqual(errorCode(msgs, "pre-list"), -32002);
  strictEqual(errorCode(msgs, "pre-call"), -32002);
  deepStrictEqual(one(msgs, "pre-ping").result, {});
  ok(one(msgs, 1).result?.serverInfo, "initialize answered");

  // Every line without a usable id was answered with id null, in input order.
  deepStrictEqual(
    msgs.filter((m) => m.id === null).map((m) => m.error?.code),
    [
      -32700, // {
      -32700, // unterminated object
      -32700, // not json
      -32700, // control characters
      -32700, // invalid UTF-8
      -32600, // a string
      -32600, // 123
      -32600, // null
      -32600, // true
      -32600, // []
      -32600, // batch
      -32600, // 100,000-deep array (a batch)
      -32700, // 10 MB line of x
      -32700, // 10 MB tools/call
      -32600, // id null
      -32600, // id {}
      -32600, // id [1]
      -32600, // id 1e308
      -32600, // id 2^64
      -32600, // id 1.5
    ],
    JSON.stringify(msgs.filter((m) => m.id === null)).slice(0, 2000),
  );
  strictEqual(byId(msgs, "in-batch").length, 0, "a batch member is not answered");
  strictEqual(byId(msgs, "big").length, 0, "a request on an oversized line is not answered");
  strictEqual(byId(msgs, 7).length, 0, "a request on a broken line is not answered");
  deepStrictEqual(one(msgs, "crlf").result, {});

  for (const id of ["v1", "v2", "v3", "v4"]) strictEqual(errorCode(msgs, id), -32600, id);

  strictEqual(errorCode(msgs, "m1"), -32601);
  strictEqual(errorCode(msgs, "m2"), -32601);
  // Issue 14 added resources and prompts: resources/list answers, an unknown prompt is invalid params.
  strictEqual(errorCode(msgs, "m3"), undefined);
  strictEqual(byId(msgs, "m3").length, 1);
  strictEqual(errorCode(msgs, "m4"), -32602);
  for (const id of ["m5", "m6", "m7", "m8", "m9"]) strictEqual(errorCode(msgs, id), -32602, id);
  strictEqual(errorCode(msgs, "m10"), -32602);
  strictEqual(errorCode(msgs, "m11"), -32602);
  strictEqual(errorCode(msgs, "m12"), -32602);
  strictEqual(errorCode(msgs, "m13"), -32602); // issue 14 added logging: a bad level is invalid params
  deepStrictEqual(one(msgs, "x1").result, {});
  for (const id of ["x2", "x3", "x4"]) strictEqual(errorCode(msgs, id), -32602, id);
  strictEqual(errorCode(msgs, "m14"), -32600);
  strictEqual(errorCode(msgs, "m15"), -32600);
  const deep = one(msgs, "m16").result as { isError: boolean; content: { text: string }[] };
  deepStrictEqual(
    { isError: deep.isError, text: deep.content[0].text },
    { isError: true, text: "InvalidArguments: 'message' must be a string (got an object)" },
  );

  for (const id of [1e308, 18446744073709551616, 1.5]) strictEqual(byId(msgs, id).length, 0);
  for (const id of [-1, 0, Number.MAX_SAFE_INTEGER, "", longId]) {
    deepStrictEqual(one(msgs, id).result, {}, `ping with id ${String(id).slice(0, 40)}`);
  }
  for (const id of [999, 998]) {
    strictEqual(byId(msgs, id).length, 0, `no answer to a client response (${id})`);
  }

  const final = one(msgs, "final").result as { isError: boolean; content: { text: string }[] };
  deepStrictEqual({ isError: final.isError, text: final.content[0].text }, {
    isError: false,
    text: "still here",
  });
  // Nothing else was written: every message is accounted for above.
  const ids = new Set(msgs.map((m) => JSON.stringify(m.id)));
  strictEqual(ids.has(JSON.stringify("in-batch")), false);
  ok(ms < 60_000, `session took ${Math.round(ms)} ms`);
});

Deno.test("a request split across writes and many requests in one write are framed correctly", async () => {
  const call = req("split", "tools/call", { name: "echo", arguments: { message: "joined" } });
  const many = Array.from({ length: 500 }, (_, i) => req(`p${i}`, "ping")).join("");
  const { code, msgs, stderr } = await session([
    req(1, "initialize", INIT),
    note("notifications/initialized"),
    ...call.match(/[^]{1,7}/g)!,
    many,
    req("last", "tools/call", { name: "echo", arguments: { message: "ok" } }).slice(0, -1), // no final newline
  ]);
  strictEqual(code, 0, stderr);
  strictEqual((one(msgs, "split").result as { content: { text: string }[] }).content[0].text, "joined");
  for (let i = 0; i < 500; i++) deepStrictEqual(one(msgs, `p${i}`).result, {});
  strictEqual((one(msgs, "last").result as { content: { text: string }[] }).content[0].text, "ok");
});
