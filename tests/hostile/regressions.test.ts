/**
 * Bugs the hostile sweep found, pinned down one by one (issue 7): each input gets a clear error,
 * the engine is not restarted, and the knowledge base (live, after a snapshot and after a restart)
 * stays what the successful calls made it.
 */
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { engineHosts } from "../e2e/_helpers.ts";
import { McpClient, type ToolCallResult } from "../helpers/zpm.ts";
import { makeSandbox, memoryFingerprint } from "./harness.ts";

const DEEP =
  "the term is nested more than 256 levels deep, which zpm does not accept (a list may be of any length)";

function answer(r: ToolCallResult): { isError: boolean; text: string } {
  return { isError: r.isError, text: r.content.map((c) => c.text).join("\n") };
}

Deno.test("hostile regressions: reserved names, deep nesting, NUL, wide heads, 1 MB overview, re-pointed memory names", async (t) => {
  const sb = await makeSandbox("zpm-regress-");
  let mcp = await McpClient.start({ cwd: sb.project, env: sb.env, args: ["--timeout-ms", "5000"] });
  const call = async (tool: string, args: Record<string, unknown>) => answer(await mcp.call(tool, args));
  const hosts = await engineHosts(mcp.child.pid);
  try {
    deepStrictEqual(await call("remember_fact", { fact: "keep(1)" }), {
      isError: false,
      text: "Asserted: keep(1)",
    });

    await t.step(
      "facts and rules named '$…' are refused (they were kept live but dropped by snapshots)",
      async () => {
        for (const fact of ["'$VAR'(1)", "'$VAR'", "'$zpm'(x) :- true"]) {
          const r = await call("remember_fact", { fact });
          strictEqual(r.isError, true, fact);
          strictEqual(
            /predicate names starting with \$ are reserved for the system\)$/.test(r.text),
            true,
            r.text,
          );
        }
        const r = await call("define_rule", { head: "'$x'(A)", body: "keep(A)" });
        strictEqual(
          r.text,
          "Failed to assert: '$x'(A) :- keep(A) ('$x'/1: predicate names starting with $ are reserved for the system)",
        );
      },
    );

    await t.step("terms nested deeper than 256 levels are refused before they reach the reader", async () => {
      const f = (n: number) => "f(".repeat(n) + "a" + ")".repeat(n);
      for (
        const text of [
          f(257),
          f(1_040), // overflowed the engine's C stack silently (the engine hung)
          f(10_000), // overflowed it with a trap (engine restarted)
          "[".repeat(1_500) + "]".repeat(1_500),
          "p(" + "1+".repeat(300) + "1)",
          "p(" + "- ".repeat(300) + "1)",
        ]
      ) {
        deepStrictEqual(await call("remember_fact", { fact: text }), {
          isError: true,
          text: `Failed to assert: ${text} (${DEEP})`,
        });
      }
      deepStrictEqual(await call("query_logic", { goal: `X = ${f(2_000)}` }), {
        isError: true,
        text: `Query execution failed: ${DEEP}`,
      });
      // Within the limit, quoted brackets, comments and long lists are fine.
      strictEqual((await call("remember_fact", { fact: `deep(${f(255)})` })).isError, false);
      const quoted = `q('${"(".repeat(2_000)}', "${"[".repeat(2_000)}", 0'() /* ${"{".repeat(500)} */`;
      strictEqual((await call("remember_fact", { fact: quoted })).isError, false);
      const list = `long([${Array.from({ length: 50_000 }, (_, i) => i).join(",")}])`;
      strictEqual((await call("remember_fact", { fact: list })).isError, false);
      deepStrictEqual(await call("query_logic", { goal: "long(L), length(L, N)", limit: 1 }), {
        isError: false,
        text: JSON.stringify([{ L: Array.from({ length: 50_000 }, (_, i) => i), N: 50_000 }]),
      });
    });

    await t.step("a NUL character gets a clear error instead of 'operation failed'", async () => {
      deepStrictEqual(await call("remember_fact", { fact: "p('a\u0000b')" }), {
        isError: true,
        text:
          "Failed to assert: p('a\u0000b') (the text contains a NUL character (U+0000), which zpm does not accept)",
      });
      deepStrictEqual(await call("query_logic", { goal: "keep(X)\u0000, halt" }), {
        isError: true,
        text: "Query execution failed: the text contains a NUL character (U+0000), which zpm does not accept",
      });
    });

    await t.step("a head with more than 1024 arguments is refused and snapshots keep working", async () => {
      const wide = `w(${Array(2_000).fill("1").join(",")})`;
      deepStrictEqual(await call("remember_fact", { fact: wide }), {
        isError: true,
        text:
          `Failed to assert: ${wide} (w/2000 has more arguments than a predicate may have (at most 1024))`,
      });
      deepStrictEqual(await call("save_snapshot", { name: "after-wide" }), {
        isError: false,
        text: "Snapshot 'after-wide' saved successfully.\n4 clause(s) saved.",
      });
    });

    await t.step("get_kb_overview stays within 64 KiB and one engine call with 1 MB clauses", async () => {
      const huge = "a".repeat(1 << 20);
      strictEqual((await call("remember_fact", { fact: `big(${huge})` })).isError, false);
      strictEqual((await call("assume_fact", { fact: "ok(1)", assumption: huge })).isError, false);
      const t0 = performance.now();
      const r = await call("get_kb_overview", { sample_size: 50 });
      const ms = performance.now() - t0;
      strictEqual(r.isError, false, r.text.slice(0, 300));
      strictEqual(r.text.length <= 64 * 1024, true, `overview is ${r.text.length} characters`);
      // Within the 5 s deadline is proven by isError false; this is only a hang bound.
      strictEqual(ms < 15_000, true, `took ${Math.round(ms)} ms`);
      const o = JSON.parse(r.text);
      strictEqual(o.assumptions.names[0], `${"a".repeat(4096)}… (1048576 characters)`);
      strictEqual((await call("forget_fact", { fact: `big(${huge})` })).isError, false);
      strictEqual((await call("retract_assumption", { assumption: huge })).isError, false);
    });

    await t.step("create_memory refuses a name that is mounted in the other scope", async () => {
      strictEqual((await call("create_memory", { name: "notes" })).isError, false);
      strictEqual((await call("remember_fact", { fact: "where(project)", memory: "notes" })).isError, false);
      deepStrictEqual(await call("create_memory", { name: "notes", scope: "global" }), {
        isError: true,
        text: "Memory already exists: notes",
      });
      deepStrictEqual(await call("query_logic", { goal: "where(X)", memory: "notes" }), {
        isError: false,
        text: '[{"X":"project"}]',
      });
    });

    // The default memory's engine host is the one from the start (notes got a host of its own).
    strictEqual(hosts.length, 1);
    strictEqual(
      (await engineHosts(mcp.child.pid)).includes(hosts[0]),
      true,
      "no input above restarted the engine",
    );
    const live = [await memoryFingerprint(mcp, "default"), await memoryFingerprint(mcp, "notes")];
    strictEqual(await mcp.close(), 0);
    mcp = await McpClient.start({ cwd: sb.project, env: sb.env });
    deepStrictEqual([await memoryFingerprint(mcp, "default"), await memoryFingerprint(mcp, "notes")], live);
  } finally {
    await mcp.close();
  }
  await Deno.remove(sb.root, { recursive: true }).catch(() => {});
});
