/**
 * The MCP wire contract of `zpm serve` (issue 2; spec §6, §7.0): initialize and version
 * negotiation, tools/list schemas and annotations, stdio framing and robustness, EOF handling.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { tempProject, zpmCommand } from "../helpers/zpm.ts";
import { env, serve, VERSION } from "./_helpers.ts";

type Msg = Record<string, unknown> & {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
};

/** Run `zpm serve`, write `input` to stdin, close it (EOF), and collect everything it wrote. */
async function session(
  dir: string,
  input: string,
): Promise<{ code: number; lines: string[]; msgs: Msg[]; stderr: string }> {
  const { cmd, args } = zpmCommand(["serve"]);
  const child = new Deno.Command(cmd, {
    args,
    cwd: dir,
    env: env(dir),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(input));
  await w.close();
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  ok(text === "" || text.endsWith("\n"), "every stdout message ends with a newline");
  const lines = text.split("\n").filter((l) => l !== "");
  // Stdout carries protocol messages only: every line is one JSON-RPC 2.0 message.
  const msgs = lines.map((l) => {
    const m = JSON.parse(l) as Msg;
    strictEqual(m.jsonrpc, "2.0", l);
    ok("result" in m !== "error" in m, `exactly one of result/error: ${l}`);
    return m;
  });
  return { code: out.code, lines, msgs, stderr: new TextDecoder().decode(out.stderr) };
}

const req = (id: unknown, method: string, params?: unknown) =>
  JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
const init = (id: unknown, protocolVersion = "2025-11-25") =>
  req(id, "initialize", { protocolVersion, capabilities: {}, clientInfo: { name: "e2e", version: "1" } });
const initialized = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });
const call = (id: unknown, name: string, args?: unknown) =>
  req(id, "tools/call", args === undefined ? { name } : { name, arguments: args });

function byId(msgs: Msg[], id: unknown): Msg {
  const found = msgs.filter((m) => m.id === id);
  strictEqual(found.length, 1, `exactly one response with id ${JSON.stringify(id)}: ${JSON.stringify(msgs)}`);
  return found[0];
}

function errorCode(msgs: Msg[], id: unknown): number {
  const m = byId(msgs, id);
  ok(m.error, `expected an error for id ${JSON.stringify(id)}: ${JSON.stringify(m)}`);
  return m.error.code;
}

function toolText(m: Msg): { isError: boolean; text: string } {
  const r = m.result as { content: { type: string; text: string }[]; isError: boolean };
  strictEqual(r.content.length, 1);
  strictEqual(r.content[0].type, "text");
  return { isError: r.isError, text: r.content[0].text };
}

Deno.test("initialize: serverInfo, tools capability, and protocol version negotiation", async () => {
  const dir = await tempProject();
  const versions = ["2025-11-25", "2025-06-18", "2024-11-05", "1999-01-01"];
  // Separate sessions (one initialize each), run side by side.
  const results = await Promise.all(versions.map((v) => session(dir, init(1, v) + "\n")));
  for (const [i, r] of results.entries()) {
    strictEqual(r.code, 0, r.stderr);
    strictEqual(r.msgs.length, 1);
    const res = byId(r.msgs, 1).result as {
      protocolVersion: string;
      serverInfo: { name: string; version: string };
      capabilities: Record<string, unknown>;
    };
    strictEqual(res.serverInfo.name, "zpm");
    strictEqual(res.serverInfo.version, VERSION);
    ok(/^\d+\.\d+\.\d+/.test(res.serverInfo.version), "the server reports a semantic version");
    ok(res.capabilities.tools, "tools capability");
    // Issue 14 deliberately adds resources (with subscribe), prompts, logging and completions.
    deepStrictEqual(Object.keys(res.capabilities).sort(), [
      "completions",
      "logging",
      "prompts",
      "resources",
      "tools",
    ]);
    deepStrictEqual(res.capabilities.resources, { subscribe: true, listChanged: false });
    // A supported requested version is echoed; an unknown one gets the newest supported.
    strictEqual(res.protocolVersion, i < 3 ? versions[i] : "2025-11-25");
  }
});

/** Expected tools/list content: name → [param:type…], required, [readOnly, destructive, idempotent] (§7.0). */
const TOOL_TABLE: [string, string[], string[], [boolean, boolean, boolean]][] = [
  ["echo", ["message:string"], ["message"], [true, false, true]],
  ["remember_fact", ["fact:string", "memory:string"], ["fact"], [false, false, false]],
  ["define_rule", ["head:string", "body:string", "memory:string"], ["head", "body"], [false, false, false]],
  ["query_logic", ["goal:string", "limit:integer", "memory:string"], ["goal"], [true, false, true]],
  ["trace_dependency", ["start_node:string", "memory:string"], ["start_node"], [true, false, true]],
  ["verify_consistency", ["scope:string", "memory:string"], [], [true, false, true]],
  ["explain_why", ["fact:string", "max_depth:integer", "memory:string"], ["fact"], [true, false, true]],
  ["get_knowledge_schema", ["memory:string"], [], [true, false, true]],
  ["forget_fact", ["fact:string", "memory:string"], ["fact"], [false, true, false]],
  ["clear_context", ["category:string", "memory:string"], ["category"], [false, true, true]],
  [
    "update_fact",
    ["old_fact:string", "new_fact:string", "memory:string"],
    ["old_fact", "new_fact"],
    [false, true, false],
  ],
  ["upsert_fact", ["fact:string", "memory:string"], ["fact"], [false, true, true]],
  ["assume_fact", ["fact:string", "assumption:string", "memory:string"], ["fact", "assumption"], [
    false,
    false,
    true,
  ]],
  ["retract_assumption", ["assumption:string", "memory:string"], ["assumption"], [false, true, true]],
  ["get_belief_status", ["fact:string", "memory:string"], ["fact"], [true, false, true]],
  ["get_justification", ["assumption:string", "memory:string"], ["assumption"], [true, false, true]],
  ["list_assumptions", ["memory:string"], [], [true, false, true]],
  ["retract_assumptions", ["pattern:string", "memory:string"], ["pattern"], [false, true, true]],
  ["save_snapshot", ["name:string", "memory:string"], ["name"], [false, false, true]],
  ["restore_snapshot", ["name:string", "memory:string"], ["name"], [false, true, false]],
  ["list_snapshots", ["memory:string"], [], [true, false, true]],
  ["get_persistence_status", [], [], [true, false, true]],
  ["create_memory", ["name:string", "scope:string"], ["name"], [false, false, false]],
  ["list_memories", [], [], [true, false, true]],
  ["mount_memory", ["name:string", "mode:string", "scope:string"], ["name"], [false, false, false]],
  ["unmount_memory", ["name:string"], ["name"], [false, false, false]],
  [
    "find_predicate_references",
    ["functor:string", "arity:integer", "include_cross_memory_refs:boolean", "memory:string"],
    ["functor"],
    [true, false, true],
  ],
  [
    "rename_predicate",
    [
      "old_functor:string",
      "new_functor:string",
      "arity:integer",
      "dry_run:boolean",
      "propagate_cross_memory_refs:boolean",
      "memory:string",
    ],
    ["old_functor", "new_functor"],
    [false, true, false],
  ],
  ["get_kb_overview", ["sample_size:integer", "memory:string"], [], [true, false, true]],
  // Additions to upstream's 29 tools (README "Differences from upstream zpm").
  ["remember_facts", ["facts:array", "memory:string"], ["facts"], [false, false, false]],
  ["export_knowledge", ["with_meta:boolean", "memory:string"], [], [true, false, true]],
];

Deno.test("tools/list: full JSON Schemas, annotations per §7.0, stable order", async () => {
  const dir = await tempProject();
  const mcp = await serve(dir);
  try {
    const first = await mcp.request("tools/list", {});
    const second = await mcp.request("tools/list", {});
    deepStrictEqual(second, { ...first, id: second.id }, "the listing is stable");
    const tools = (first.result as { tools: Record<string, unknown>[] }).tools as {
      name: string;
      description: string;
      inputSchema: {
        type: string;
        properties: Record<string, { type: string; description: string; minimum?: number; maximum?: number }>;
        required: string[];
        additionalProperties?: boolean;
      };
      annotations: Record<string, boolean>;
    }[];
    deepStrictEqual(tools.map((t) => t.name), TOOL_TABLE.map((r) => r[0]), "tools in registry order");
    for (const [i, [name, params, required, [ro, d, idem]]] of TOOL_TABLE.entries()) {
      const t = tools[i];
      ok(t.description.length > 10 && /^[A-Z]/.test(t.description), `${name}: description ${t.description}`);
      strictEqual(t.inputSchema.type, "object", name);
      deepStrictEqual(
        Object.entries(t.inputSchema.properties).map(([k, v]) => `${k}:${v.type}`),
        params,
        `${name}: properties`,
      );
      deepStrictEqual(t.inputSchema.required, required, `${name}: required`);
      for (const [k, v] of Object.entries(t.inputSchema.properties)) {
        // `memory` carries upstream's exact text (issue 11); every other parameter shows an example.
        if (k === "memory") {
          strictEqual(v.description, "Target memory segment (optional, defaults to default memory)");
          continue;
        }
        ok(/Example: \S/.test(v.description), `${name}.${k}: description has an example: ${v.description}`);
      }
      deepStrictEqual(
        t.annotations,
        { readOnlyHint: ro, destructiveHint: d, idempotentHint: idem, openWorldHint: false },
        `${name}: annotations`,
      );
    }
    // Integer bounds where the tool enforces them.
    const q = tools.find((t) => t.name === "query_logic")!;
    deepStrictEqual([q.inputSchema.properties.limit.minimum, q.inputSchema.properties.limit.maximum], [
      1,
      10000,
    ]);
    const e = tools.find((t) => t.name === "explain_why")!;
    deepStrictEqual(
      [e.inputSchema.properties.max_depth.minimum, e.inputSchema.properties.max_depth.maximum],
      [0, 1000],
    );
    // Usage conventions the model needs are in the descriptions.
    ok(/destination first/.test(tools.find((t) => t.name === "trace_dependency")!.description));
    ok(/bare name only matches arity 0/.test(tools.find((t) => t.name === "clear_context")!.description));
    ok(/functor \+ first argument/.test(tools.find((t) => t.name === "upsert_fact")!.description));
    ok(/unchanged/.test(tools.find((t) => t.name === "update_fact")!.description));
  } finally {
    strictEqual(await mcp.close(), 0);
  }
});

Deno.test("stdio: malformed lines get JSON-RPC errors and the server keeps serving", async () => {
  const dir = await tempProject();
  const input = [
    req(100, "tools/list"), // before initialize
    call(101, "echo", { message: "too early" }), // before initialize
    req("p0", "ping"), // ping is allowed before initialize
    init(1),
    initialized,
    "not json",
    '{"jsonrpc":"2.0","id":2,"method":', // truncated JSON
    "[1,2]", // batch
    '"just a string"',
    "42",
    req(3, "ping").replace('"2.0"', '"1.0"'), // wrong jsonrpc version
    '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', // id must be string/number
    '{"jsonrpc":"2.0","id":4}', // no method
    req(5, "no/such/method"),
    call(6, "no_such_tool", {}),
    call(7, "echo"), // arguments absent
    call(8, "echo", null), // arguments null
    call(11, "echo", [1]), // arguments not an object
    req(12, "tools/call", {}), // no tool name
    "", // blank lines are ignored
    "   ",
    call(9, "echo", { message: "héllo wörld 😀" }),
    req("s", "ping"),
    call(10, "echo", { message: "still serving" }),
  ].join("\n") + "\n";
  const r = await session(dir, input);
  strictEqual(r.code, 0, r.stderr);
  strictEqual(errorCode(r.msgs, 100), -32002);
  strictEqual(errorCode(r.msgs, 101), -32002);
  deepStrictEqual(byId(r.msgs, "p0").result, {});
  ok(byId(r.msgs, 1).result);
  const nullIds = r.msgs.filter((m) => m.id === null).map((m) => m.error!.code);
  // "not json", truncated JSON → parse errors; batch, string, number, bad id → invalid requests.
  deepStrictEqual(nullIds, [-32700, -32700, -32600, -32600, -32600, -32600]);
  strictEqual(errorCode(r.msgs, 3), -32600);
  strictEqual(errorCode(r.msgs, 4), -32600);
  strictEqual(errorCode(r.msgs, 5), -32601);
  strictEqual(errorCode(r.msgs, 6), -32602);
  ok(/Tool not found: no_such_tool/.test(byId(r.msgs, 6).error!.message), byId(r.msgs, 6).error!.message);
  deepStrictEqual(toolText(byId(r.msgs, 7)), {
    isError: true,
    text: "InvalidArguments: 'message' must be a string (it is missing)",
  });
  // §6: "arguments may be absent/null; handlers treat that like an empty object".
  deepStrictEqual(toolText(byId(r.msgs, 8)), {
    isError: true,
    text: "InvalidArguments: 'message' must be a string (it is missing)",
  });
  strictEqual(errorCode(r.msgs, 11), -32602);
  strictEqual(errorCode(r.msgs, 12), -32602);
  deepStrictEqual(toolText(byId(r.msgs, 9)), { isError: false, text: "héllo wörld 😀" });
  deepStrictEqual(byId(r.msgs, "s").result, {});
  deepStrictEqual(toolText(byId(r.msgs, 10)), { isError: false, text: "still serving" });
  // Nothing else was written: one response for each of the 15 requests with a valid id, plus the 6
  // id:null errors (the notification and the blank lines get no answer).
  strictEqual(r.msgs.length, 15 + 6);
});

Deno.test("stdio: a final request without newline is answered; at EOF all pending requests are answered, exit 0", async () => {
  const dir = await tempProject();
  const slow = "aggregate_all(count, between(1, 300000, _), N)";
  const input = [
    init(1),
    initialized,
    call(2, "remember_fact", { fact: "eof(one)" }),
    call(3, "query_logic", { goal: slow }),
    call(4, "remember_fact", { fact: "eof(two)" }),
    call(5, "query_logic", { goal: "eof(X)" }),
    call(6, "query_logic", { goal: "N = 1" }), // no trailing newline, then EOF
  ].join("\n");
  const r = await session(dir, input);
  strictEqual(r.code, 0, r.stderr);
  deepStrictEqual(r.msgs.map((m) => m.id), [1, 2, 3, 4, 5, 6], "one answer per request, in order");
  deepStrictEqual(toolText(byId(r.msgs, 2)), { isError: false, text: "Asserted: eof(one)" });
  const q = toolText(byId(r.msgs, 3));
  strictEqual(q.isError, false);
  strictEqual(q.text, '[{"N":300000}]');
  deepStrictEqual(toolText(byId(r.msgs, 5)), { isError: false, text: '[{"X":"one"},{"X":"two"}]' });
  deepStrictEqual(toolText(byId(r.msgs, 6)), { isError: false, text: '[{"N":1}]' });
  // The facts were durable: a fresh session sees them.
  const again = await session(
    dir,
    [init(1), initialized, call(2, "query_logic", { goal: "eof(X)" })].join("\n"),
  );
  deepStrictEqual(toolText(byId(again.msgs, 2)), { isError: false, text: '[{"X":"one"},{"X":"two"}]' });
});

Deno.test("stdio: an oversized line is refused with a parse error and the server keeps serving", async () => {
  const dir = await tempProject();
  const huge = call(2, "echo", { message: "x".repeat(9 * 1024 * 1024) });
  const r = await session(
    dir,
    [init(1), initialized, huge, call(3, "echo", { message: "after" })].join("\n") + "\n",
  );
  strictEqual(r.code, 0, r.stderr);
  const errs = r.msgs.filter((m) => m.id === null).map((m) => m.error!);
  strictEqual(errs.length, 1);
  strictEqual(errs[0].code, -32700);
  ok(/larger than/.test(errs[0].message), errs[0].message);
  deepStrictEqual(toolText(byId(r.msgs, 3)), { isError: false, text: "after" });
  strictEqual(r.msgs.filter((m) => m.id === 2).length, 0);
});
