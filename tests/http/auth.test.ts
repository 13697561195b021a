/** Bearer tokens on `zpm serve --http`: required once one exists, hashed at rest, ro and memory limits. */
import { ok, strictEqual } from "node:assert/strict";
import { runZpm, tempProject } from "../helpers/zpm.ts";
import { connect, createToken, startServer, textOf, tokenFile } from "./_server.ts";

Deno.test("auth: tokens are required once one exists; wrong and revoked tokens get 401", async () => {
  const dir = await tempProject();
  const token = await createToken(dir, "alice");
  await createToken(dir, "bob");
  ok(/^zpm_[A-Za-z0-9_-]{40,}$/.test(token), token);
  const stored = Deno.readTextFileSync(tokenFile(dir));
  ok(!stored.includes(token), "only the hash is stored");
  strictEqual(Deno.statSync(tokenFile(dir)).mode! & 0o777, 0o600);
  const s = await startServer(dir);
  try {
    const none = await fetch(s.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    strictEqual(none.status, 401);
    ok((none.headers.get("www-authenticate") ?? "").startsWith("Bearer "), "WWW-Authenticate: Bearer");
    ok((none.headers.get("www-authenticate") ?? "").includes("resource_metadata="));
    await none.body?.cancel();
    const meta = await fetch(`http://127.0.0.1:${s.port}/.well-known/oauth-protected-resource/mcp`);
    strictEqual((await meta.json()).resource, s.url);
    const wrong = await connect(s.url, token + "x").then(() => "connected", (e: Error) => e.message);
    ok(/401|nauthorized/.test(wrong), wrong);
    const c = await connect(s.url, token);
    strictEqual(textOf(await c.callTool({ name: "echo", arguments: { message: "hi" } })), "hi");
    const r = await runZpm(["token", "revoke", "alice", "--token-file", tokenFile(dir)], { cwd: dir });
    strictEqual(r.code, 0, r.stderr);
    const after = await c.callTool({ name: "echo", arguments: { message: "hi" } }).then(
      () => "ok",
      (e: Error) => e.message,
    );
    ok(/401|nauthorized/.test(after), `revoked token refused at once: ${after}`);
    ok(!s.stderr().includes(token), "the token never reaches the log");
  } finally {
    strictEqual(await s.stop(), 0);
  }
});

Deno.test("auth: ro tokens cannot write; memory-limited tokens cannot reach other memories", async () => {
  const dir = await tempProject();
  strictEqual((await runZpm(["memory", "create", "secret"], { cwd: dir })).code, 0);
  const rw = await createToken(dir, "admin");
  const ro = await createToken(dir, "reader", ["--mode", "ro"]);
  const limited = await createToken(dir, "notes-only", ["--memory", "default"]);
  const s = await startServer(dir);
  try {
    const admin = await connect(s.url, rw);
    await admin.callTool({ name: "remember_fact", arguments: { fact: "hidden(1)", memory: "secret" } });
    const reader = await connect(s.url, ro);
    const w = await reader.callTool({ name: "remember_fact", arguments: { fact: "x(1)" } });
    strictEqual(w.isError, true);
    ok(textOf(w).includes("read-only"), textOf(w));
    ok(!textOf(await reader.callTool({ name: "query_logic", arguments: { goal: "x(1)" } })).includes("true"));
    const lim = await connect(s.url, limited);
    for (
      const args of [
        { goal: "hidden(X)", memory: "secret" },
        { goal: "secret:hidden(X)" },
      ]
    ) {
      const r = await lim.callTool({ name: "query_logic", arguments: args });
      strictEqual(r.isError, true, JSON.stringify(args));
      ok(textOf(r).includes("Forbidden") && !textOf(r).includes("1"), textOf(r));
    }
    const all = await lim.callTool({
      name: "find_predicate_references",
      arguments: { predicate: "hidden", memory: "__all__" },
    });
    strictEqual(all.isError, true);
    const res = (await lim.listResources()).resources.map((r) => r.uri);
    ok(!res.some((u) => u.includes("secret")), "other memories are not listed");
    const read = await lim.readResource({ uri: "zpm://memory/secret/schema" }).then(
      () => "read",
      (e: Error) => e.message,
    );
    ok(read.includes("Forbidden"), read);
    ok(/refused query_logic for token 'notes-only'/.test(s.stderr()), "the attempt is logged");
    ok(!s.stderr().includes(limited), "without the token");
  } finally {
    strictEqual(await s.stop(), 0);
  }
});

Deno.test("auth: a non-loopback bind is refused until a token exists", async () => {
  const dir = await tempProject();
  const r = await runZpm(["serve", "--http", "0.0.0.0:0", "--token-file", tokenFile(dir)], { cwd: dir });
  strictEqual(r.code, 1);
  ok(r.stderr.includes("refusing to listen on 0.0.0.0 without tokens"), r.stderr);
});
