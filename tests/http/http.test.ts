/** `zpm serve --http` over real HTTP with the SDK client: sessions, limits, resources, shutdown. */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { runZpm, tempProject } from "../helpers/zpm.ts";
import { connect, startServer, textOf } from "./_server.ts";

const INIT = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});
const HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

Deno.test("http: sessions are independent, unguessable and end with DELETE", async () => {
  const dir = await tempProject();
  const s = await startServer(dir);
  try {
    const a = await connect(s.url);
    const b = await connect(s.url);
    const idA = (a.transport as { sessionId?: string }).sessionId!;
    const idB = (b.transport as { sessionId?: string }).sessionId!;
    ok(/^[0-9a-f]{64}$/.test(idA) && idA !== idB, "random 256-bit session ids");
    strictEqual(
      textOf(await a.callTool({ name: "remember_fact", arguments: { fact: "likes(a,b)" } })),
      "Asserted: likes(a,b)",
    );
    // One project shared by every session: b sees a's write.
    ok(textOf(await b.callTool({ name: "query_logic", arguments: { goal: "likes(X,Y)" } })).includes("a"));
    const del = await fetch(s.url, { method: "DELETE", headers: { "mcp-session-id": idA } });
    strictEqual(del.status, 200);
    await del.body?.cancel();
    const after = await fetch(s.url, {
      method: "POST",
      headers: { ...HEADERS, "mcp-session-id": idA },
      body: INIT,
    });
    strictEqual(after.status, 404, "a deleted session is gone");
    await after.body?.cancel();
    const forged = await fetch(s.url, {
      method: "POST",
      headers: { ...HEADERS, "mcp-session-id": "0".repeat(64) },
      body: INIT,
    });
    strictEqual(forged.status, 404);
    await forged.body?.cancel();
    await b.close();
  } finally {
    strictEqual(await s.stop(), 0);
  }
});

Deno.test("http: Host/Origin rebinding and oversized bodies are refused; the server keeps serving", async () => {
  const dir = await tempProject();
  const s = await startServer(dir, ["--max-body-bytes", "2048"]);
  try {
    // fetch() will not send a foreign Host header, so these go over a raw socket.
    const local = `127.0.0.1:${s.port}`;
    for (const [host, origin] of [["evil.example.com", null], [local, "http://evil.example.com"]]) {
      const head = await rawPost(s.port, host!, origin);
      ok(head.startsWith("HTTP/1.1 403"), `${host} ${origin}: ${head}`);
    }
    ok((await rawPost(s.port, local, `http://${local}`)).startsWith("HTTP/1.1 200"), "own origin accepted");
    const c = await connect(s.url);
    const big = await c.callTool({ name: "remember_fact", arguments: { fact: `big(${"x".repeat(5000)})` } })
      .then(() => "accepted", (e: Error) => e.message);
    ok(/413|too large/i.test(big), `body too large refused: ${big}`);
    strictEqual(
      textOf(await c.callTool({ name: "echo", arguments: { message: "still here" } })),
      "still here",
    );
    const schema = JSON.parse(textOf(await c.callTool({ name: "get_knowledge_schema", arguments: {} })));
    strictEqual(schema.total, 0, "the refused write changed nothing");
    await c.close();
  } finally {
    strictEqual(await s.stop(), 0);
  }
});

Deno.test("http: a client that disconnects mid-call does not hurt the server", async () => {
  const dir = await tempProject();
  const s = await startServer(dir);
  try {
    const c = await connect(s.url);
    const sid = (c.transport as { sessionId?: string }).sessionId!;
    const ctl = new AbortController();
    const call = JSON.stringify({
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "remember_fact", arguments: { fact: "gone(1)" } },
    });
    const pending = fetch(s.url, {
      method: "POST",
      headers: { ...HEADERS, "mcp-session-id": sid, "mcp-protocol-version": "2025-11-25" },
      body: call,
      signal: ctl.signal,
    }).then((r) => r.body?.cancel(), () => {});
    ctl.abort();
    await pending;
    const other = await connect(s.url);
    strictEqual(textOf(await other.callTool({ name: "echo", arguments: { message: "ok" } })), "ok");
    await other.close();
  } finally {
    strictEqual(await s.stop(), 0);
  }
});

Deno.test("http: resources, prompts and completion; a subscriber hears another process's write", async () => {
  const dir = await tempProject();
  const s = await startServer(dir);
  try {
    const c = await connect(s.url);
    const uris = (await c.listResources()).resources.map((r) => r.uri);
    deepStrictEqual(uris, ["zpm://memory/default/schema", "zpm://memory/default/overview"]);
    const updated: string[] = [];
    // @deno-types="@modelcontextprotocol/sdk/types"
    const { ResourceUpdatedNotificationSchema } = await import("@modelcontextprotocol/sdk/types.js");
    c.setNotificationHandler(ResourceUpdatedNotificationSchema, (n: { params: { uri: string } }) => {
      updated.push(n.params.uri);
    });
    await c.subscribeResource({ uri: "zpm://memory/default/schema" });
    await new Promise((r) => setTimeout(r, 700)); // the watcher has read the journal head
    // Another process writes to the same project.
    const w = await runZpm(["remember-fact", "--fact", "team(alice)"], { cwd: dir });
    strictEqual(w.code, 0, w.stderr);
    const t0 = Date.now();
    while (!updated.length && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
    deepStrictEqual(updated.slice(0, 1), ["zpm://memory/default/schema"]);
    const read = await c.readResource({ uri: "zpm://memory/default/schema" });
    ok((read.contents[0] as { text: string }).text.includes('"team"'));
    const p = await c.getPrompt({ name: "explain_predicate", arguments: { predicate: "team/1" } });
    ok((p.messages[0].content as { text: string }).text.includes("team"), "prompt carries the schema");
    const comp = await c.complete({
      ref: { type: "ref/prompt", name: "explain_predicate" },
      argument: { name: "predicate", value: "te" },
    });
    deepStrictEqual(comp.completion.values, ["team/1"]);
    const bad = await c.readResource({ uri: "zpm://memory/nope/schema" }).then(
      () => "read",
      (e: Error) => e.message,
    );
    ok(bad.includes("Resource not found"), bad);
    await c.close();
  } finally {
    strictEqual(await s.stop(), 0);
  }
});

Deno.test("http: SIGTERM during writes exits 0 and keeps every acknowledged write", async () => {
  const dir = await tempProject();
  const s = await startServer(dir);
  const acked: number[] = [];
  const clients = await Promise.all([0, 1, 2].map(() => connect(s.url)));
  const writers = clients.map(async (c, k) => {
    for (let i = 0; i < 200; i++) {
      const n = k * 1000 + i;
      try {
        const r = await c.callTool({ name: "remember_fact", arguments: { fact: `w(${n})` } });
        if (textOf(r) === `Asserted: w(${n})`) acked.push(n);
      } catch {
        return;
      }
    }
  });
  while (acked.length < 10) await new Promise((r) => setTimeout(r, 20));
  strictEqual(await s.stop("SIGTERM"), 0, s.stderr());
  await Promise.all(writers);
  ok(acked.length >= 10);
  const q = await runZpm(["query-logic", "--goal", "w(X)", "--format", "json"], { cwd: dir });
  strictEqual(q.code, 0, q.stderr);
  const blocks = JSON.parse(q.stdout) as string[]; // --format json: the text blocks; the first is the answer
  const stored = new Set((JSON.parse(blocks[0]) as { X: number }[]).map((s) => s.X));
  for (const n of acked) ok(stored.has(n), `acknowledged write w(${n}) missing after restart`);
});

/** POST an initialize request with the given Host/Origin over a raw socket; returns the status line. */
async function rawPost(port: number, host: string, origin: string | null): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const lines = [
    "POST /mcp HTTP/1.1",
    `Host: ${host}`,
    ...(origin ? [`Origin: ${origin}`] : []),
    "Content-Type: application/json",
    "Accept: application/json, text/event-stream",
    `Content-Length: ${new TextEncoder().encode(INIT).length}`,
    "Connection: close",
    "",
    INIT,
  ];
  await conn.write(new TextEncoder().encode(lines.join("\r\n")));
  const buf = new Uint8Array(4096);
  const n = await conn.read(buf);
  conn.close();
  return new TextDecoder().decode(buf.subarray(0, n ?? 0)).split("\r\n")[0];
}
