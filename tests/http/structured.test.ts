/**
 * Tool metadata over MCP with the SDK client (which checks `structuredContent` against `outputSchema`):
 * every tool has a title; tools whose answer is JSON also return it as structured content, identical to
 * the text block (arrays wrapped as `{ result }`), and the text block stays exactly as before.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { tempProject } from "../helpers/zpm.ts";
import { connect, startServer, textOf } from "./_server.ts";

Deno.test("tools: a title on every tool; JSON answers also as structuredContent matching outputSchema", async () => {
  const dir = await tempProject();
  const server = await startServer(dir);
  const client = await connect(server.url);
  try {
    const { tools } = await client.listTools();
    for (const t of tools) ok(t.title && /^[A-Z]/.test(t.title), `${t.name} has a title: ${t.title}`);
    const withSchema = tools.filter((t) => t.outputSchema).map((t) => t.name).sort();
    ok(withSchema.includes("query_logic") && withSchema.includes("get_knowledge_schema"), withSchema.join());
    for (const fact of ["parent(tom, bob)", "parent(bob, ann)"]) {
      await client.callTool({ name: "remember_fact", arguments: { fact } });
    }
    await client.callTool({
      name: "define_rule",
      arguments: { head: "grandparent(X, Z)", body: "parent(X, Y), parent(Y, Z)" },
    });
    const calls: [string, Record<string, unknown>][] = [
      ["query_logic", { goal: "parent(X, Y)" }],
      ["query_logic", { goal: "parent(nobody, Y)" }],
      ["get_knowledge_schema", {}],
      ["explain_why", { fact: "grandparent(tom, ann)" }],
      ["verify_consistency", {}],
      ["trace_dependency", { start_node: "tom" }],
      ["list_assumptions", {}],
      ["get_belief_status", { fact: "parent(tom, bob)" }],
      ["find_predicate_references", { functor: "parent" }],
      ["get_kb_overview", {}],
      ["rename_predicate", { old_functor: "parent", new_functor: "par", dry_run: true }],
    ];
    for (const [name, args] of calls) {
      // The SDK client refuses a result whose structuredContent is missing or does not match outputSchema.
      const r = await client.callTool({ name, arguments: args });
      strictEqual(r.isError ?? false, false, `${name}: ${textOf(r)}`);
      const text = (r.content as { text: string }[])[0].text;
      const parsed = JSON.parse(text);
      deepStrictEqual(r.structuredContent, Array.isArray(parsed) ? { result: parsed } : parsed, name);
    }
    const plain = await client.callTool({ name: "remember_fact", arguments: { fact: "x(1)" } });
    strictEqual(plain.structuredContent, undefined, "a plain-text answer has no structured content");
    strictEqual(textOf(plain), "Asserted: x(1)");
  } finally {
    await client.close();
    strictEqual(await server.stop(), 0);
  }
});
