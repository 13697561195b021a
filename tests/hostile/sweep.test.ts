/**
 * Hostile-input sweep (issue 7): calls generated from the tool registry with hostile arguments,
 * over one long-lived MCP server (`--timeout-ms 2000`) plus a share of one-shot CLI calls, from a
 * fixed seed. Checks that every call gets a well-formed answer in time, that the server stays up,
 * that the knowledge base equals what the successful calls alone produce (they are replayed in a
 * fresh project and both states compared, also after a restart), and that nothing outside the
 * project directory changed.
 *
 * ZPM_HOSTILE_CALLS (default 1000) MCP calls, ZPM_HOSTILE_CLI_CALLS (default 40) CLI calls,
 * ZPM_HOSTILE_SEED (default 7007) picks the sequence. A failure message names the seed and index.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { MAX_LINE_BYTES } from "../../src/mcp/stdio_transport.ts";
import { TOOLS } from "../../src/tools/registry.ts";
import { McpClient, runZpm } from "../helpers/zpm.ts";
import { Generator, Rng } from "./gen.ts";
import {
  brief,
  cliArgv,
  firstDifference,
  listTree,
  makeSandbox,
  projectFingerprint,
  responseProblems,
  type Sandbox,
  statOrNull,
  treeDiff,
} from "./harness.ts";

const CALLS = Number(Deno.env.get("ZPM_HOSTILE_CALLS") ?? 1000);
const CLI_CALLS = Number(Deno.env.get("ZPM_HOSTILE_CLI_CALLS") ?? 40);
const SEED = Number(Deno.env.get("ZPM_HOSTILE_SEED") ?? 7007);
const TIMEOUT_MS = 2000;
/**
 * A hang bound, not a speed check: every MCP answer arrives within three deadlines plus 1 s (a timed-out
 * call is answered at once and the engine rebuilt; 3× leaves room for a loaded 2-core machine).
 */
const BOUND_MS = 3 * TIMEOUT_MS + 1000;
/**
 * One-shot CLI commands keep the same deadline (their engine runs in a child process): the bound covers
 * process start, boot and a goal stopped at the deadline on a loaded 2-core machine.
 */
const CLI_BOUND_MS = 30_000;
const SERVE_ARGS = ["--timeout-ms", String(TIMEOUT_MS)];

/** A successful mutation, to be replayed in a fresh project. */
type Recorded =
  | { via: "mcp"; index: number; tool: string; args: unknown; texts: string[] }
  | { via: "cli"; index: number; tool: string; argv: string[]; stdout: string };

/** Paths outside every sandbox that hostile names point at. */
const OUTSIDE = ["/etc/x", "/tmp/x", "/x", "/etc/passwd", "/tmp/a/b", "/tmp/zpm-hostile-nothing"];

async function startServer(sb: Sandbox): Promise<McpClient> {
  return await McpClient.start({ cwd: sb.project, env: sb.env, args: SERVE_ARGS });
}

/** Bytes of the JSON-RPC line that carries a tools/call (the id is a small number). */
function lineBytes(tool: string, args: unknown): number {
  const msg = {
    jsonrpc: "2.0",
    id: 1_000_000,
    method: "tools/call",
    params: { name: tool, arguments: args },
  };
  return new TextEncoder().encode(JSON.stringify(msg)).length + 1;
}

/** Send a call whose line is too long and wait for the id-null error it must cause. */
async function oversizedCall(mcp: McpClient, tool: string, args: unknown): Promise<Record<string, unknown>> {
  const before = mcp.stray.length;
  void mcp.request("tools/call", { name: tool, arguments: args });
  const t0 = performance.now();
  while (mcp.stray.length === before && performance.now() - t0 < NO_ANSWER_MS) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return mcp.stray[before] ?? { unanswered: `no error for an oversized line within ${NO_ANSWER_MS} ms` };
}

/** Give up waiting for an answer after this long (the call is then reported as unanswered). */
const NO_ANSWER_MS = 30_000;

async function mcpCall(mcp: McpClient, tool: string, args: unknown): Promise<Record<string, unknown>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const none = new Promise<Record<string, unknown>>((resolve) => {
    timer = setTimeout(() => resolve({ unanswered: `no answer within ${NO_ANSWER_MS} ms` }), NO_ANSWER_MS);
  });
  try {
    return await Promise.race([
      mcp.request("tools/call", args === undefined ? { name: tool } : { name: tool, arguments: args }),
      none,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Only names zpm itself may create under XDG_DATA_HOME: global memories and their files. */
const GLOBAL_MEMORY_PATH = /^zpm(\/kb(\/[a-z][A-Za-z0-9_]{0,63}(\/[A-Za-z0-9_.-]+)?)?)?$/;
/** Every name zpm may create inside the project. */
const PROJECT_PATH = /^\.zpm(\/[A-Za-z0-9_.-]+)*$/;

Deno.test({
  name: `hostile sweep: ${CALLS} MCP + ${CLI_CALLS} CLI calls from seed ${SEED}`,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const started = performance.now();
    const sb = await makeSandbox("zpm-hostile-");
    const outsideBefore = await Promise.all(OUTSIDE.map(statOrNull));
    const treeBefore = await listTree(sb.root, [sb.project]);

    const mcpGen = new Generator(new Rng(SEED), TOOLS, {
      maxString: 1 << 20,
      cli: false,
      budget: { runaway: 2, deep: 10, huge: 10 },
      runawayEvery: Math.max(1, Math.floor(CALLS / 8)),
    });
    const cliGen = new Generator(new Rng(SEED ^ 0x5a5a5a), TOOLS, {
      maxString: 40_000,
      cli: true,
      budget: { runaway: 2, deep: 3, huge: 2 },
    });
    const failures: string[] = [];
    const recorded: Recorded[] = [];
    const mutating = new Set(TOOLS.filter((t) => !t.hints.readOnly).map((t) => t.name));
    const cliEvery = CLI_CALLS > 0 ? Math.max(1, Math.floor(CALLS / CLI_CALLS)) : Infinity;
    let cliDone = 0;
    let slowest = { ms: 0, what: "" };
    const counts = { ok: 0, toolError: 0, rpcError: 0 };
    const perTool = new Map<string, { ok: number; error: number }>();

    let mcp = await startServer(sb);
    try {
      // Give the sequence something to work on: memories of both scopes (one read-only) and the rules
      // that the runaway goals call.
      const setup: [string, Record<string, unknown>][] = [
        ["create_memory", { name: "notes" }],
        ["create_memory", { name: "scratch", scope: "global" }],
        ["create_memory", { name: "m2" }],
        ["mount_memory", { name: "m2", mode: "ro" }],
        ["define_rule", { head: "loop", body: "loop" }],
        ["define_rule", { head: "nest_deep(N, f(T))", body: "N > 0, M is N - 1, nest_deep(M, T)" }],
        ["remember_fact", { fact: "nest_deep(0, a)", memory: "notes" }],
      ];
      for (const [tool, args] of setup) {
        const r = await mcp.call(tool, args);
        strictEqual(r.isError, false, `${tool}: ${JSON.stringify(r)}`);
        recorded.push({ via: "mcp", index: -1, tool, args, texts: r.content.map((x) => x.text) });
      }
      for (let i = 0; i < CALLS; i++) {
        const c = mcpGen.next();
        const where = `call #${i} (seed ${SEED}): ${c.tool} ${brief(c.args)}`;
        const t0 = performance.now();
        // A request line over the transport's limit cannot be tied to its id: the answer is a
        // -32700 error with id null (and the request itself stays unanswered).
        const oversized = lineBytes(c.tool, c.args) > MAX_LINE_BYTES;
        const msg = oversized ? await oversizedCall(mcp, c.tool, c.args) : await mcpCall(mcp, c.tool, c.args);
        const ms = performance.now() - t0;
        if (ms > slowest.ms) slowest = { ms, what: where };
        const problems = responseProblems(msg, c.expectResult && !oversized);
        if (oversized && msg.id !== null) problems.push("an oversized line was answered with an id");
        if (oversized && (msg.error as { code?: number })?.code !== -32700) problems.push("expected -32700");
        if (ms > BOUND_MS) problems.push(`answered after ${Math.round(ms)} ms (bound ${BOUND_MS} ms)`);
        if (problems.length) failures.push(`${where}: ${problems.join("; ")}; response ${brief(msg, 600)}`);
        const result = msg.result as { isError: boolean; content: { text: string }[] } | undefined;
        if (msg.error) counts.rpcError++;
        else if (result?.isError) counts.toolError++;
        else counts.ok++;
        if (Deno.env.get("ZPM_HOSTILE_VERBOSE") === "2") {
          console.log(
            `#${i} ${c.tool} ${brief(c.args, 160)} => ${brief(result?.content?.[0]?.text ?? msg.error, 200)}`,
          );
        }
        const tally = perTool.get(c.tool) ?? { ok: 0, error: 0 };
        if (result?.isError === false) tally.ok++;
        else tally.error++;
        perTool.set(c.tool, tally);
        if (result && result.isError === false && mutating.has(c.tool)) {
          recorded.push({
            via: "mcp",
            index: i,
            tool: c.tool,
            args: c.args,
            texts: result.content.map((x) => x.text),
          });
        }
        if (failures.length > 20 || "unanswered" in msg) break;

        if (cliDone < CLI_CALLS && i % cliEvery === cliEvery - 1) {
          cliDone++;
          const cc = cliGen.next();
          const tool = TOOLS.find((t) => t.name === cc.tool)!;
          const argv = cliArgv(tool, cc.args as Record<string, unknown>, cliDone % 2 ? "json" : "text");
          const cwhere = `CLI call #${cliDone} after MCP call #${i} (seed ${SEED}): zpm ${brief(argv, 400)}`;
          const c0 = performance.now();
          const r = await runZpm(argv, { cwd: sb.project, env: sb.env });
          const cms = performance.now() - c0;
          const cproblems: string[] = [];
          if (r.code !== 0 && r.code !== 1) cproblems.push(`exit code ${r.code}`);
          if (/Uncaught|panicked|RUST_BACKTRACE|at file:\/\//.test(r.stderr)) {
            cproblems.push("crash on stderr");
          }
          if (cms > CLI_BOUND_MS) cproblems.push(`took ${Math.round(cms)} ms (bound ${CLI_BOUND_MS} ms)`);
          if (r.code === 0 && argv.at(-1) === "json") {
            try {
              const texts = JSON.parse(r.stdout);
              ok(Array.isArray(texts) && texts.every((t) => typeof t === "string"));
            } catch {
              cproblems.push(`--format json printed ${brief(r.stdout)}`);
            }
          }
          if (cproblems.length) {
            failures.push(
              `${cwhere}: ${cproblems.join("; ")}; stdout ${brief(r.stdout)}; stderr ${brief(r.stderr, 600)}`,
            );
          }
          if (r.code === 0 && mutating.has(cc.tool)) {
            recorded.push({ via: "cli", index: i, tool: cc.tool, argv, stdout: r.stdout });
          }
        }
      }
      // The server is still up and serving.
      deepStrictEqual((await mcp.call("echo", { message: "still here" })).content[0].text, "still here");
    } finally {
      if (failures.length) await mcp.kill();
    }
    const swept = performance.now();
    if (failures.length) {
      throw new Error(
        `${failures.length} hostile call(s) failed:\n${failures.join("\n")}\nstderr:\n${
          mcp.stderr.slice(-3000)
        }`,
      );
    }

    // The state as the sweep left it, and after a restart (what is durable).
    const live = await projectFingerprint(mcp);
    strictEqual(await mcp.close(), 0, `server exit code; stderr:\n${mcp.stderr.slice(-3000)}`);
    mcp = await startServer(sb);
    const restarted = await projectFingerprint(mcp);
    strictEqual(await mcp.close(), 0);
    if (live !== restarted) {
      await Deno.writeTextFile(join(sb.root, "live.txt"), live);
      await Deno.writeTextFile(join(sb.root, "restarted.txt"), restarted);
      throw new Error(
        `state after a restart differs from the live state (${sb.root}/{live,restarted}.txt): ${
          firstDifference(live, restarted)
        }`,
      );
    }

    // Nothing outside the project changed, except global memories under XDG_DATA_HOME/zpm/kb.
    const outside = treeDiff(treeBefore, await listTree(sb.root, [sb.project])).filter((d) => {
      const path = d.slice(2);
      return !(path === "xdg" || (path.startsWith("xdg/") && GLOBAL_MEMORY_PATH.test(path.slice(4))));
    });
    deepStrictEqual(outside, [], `files outside the project changed: ${outside.join(", ")}`);
    deepStrictEqual(
      await Promise.all(OUTSIDE.map(statOrNull)),
      outsideBefore,
      `${OUTSIDE.join(", ")} changed`,
    );
    const inProject = [...(await listTree(sb.project)).keys()].filter((p) => !PROJECT_PATH.test(p));
    deepStrictEqual(inProject, [], `unexpected names in the project: ${inProject.join(", ")}`);

    // Replay only the successful mutations, in order, in a fresh project: same answers, same state.
    const fresh = await makeSandbox("zpm-hostile-replay-");
    const replay = await startServer(fresh);
    const mismatches: string[] = [];
    try {
      for (const rec of recorded) {
        if (rec.via === "mcp") {
          const msg = await mcpCall(replay, rec.tool, rec.args);
          const r = msg.result as { isError: boolean; content: { text: string }[] } | undefined;
          const texts = r?.content.map((x) => x.text);
          if (!r || r.isError || JSON.stringify(texts) !== JSON.stringify(rec.texts)) {
            mismatches.push(
              `replay of MCP call #${rec.index} ${rec.tool} ${brief(rec.args)}: was ${
                brief(rec.texts)
              }, now ${brief(msg, 600)}`,
            );
          }
        } else {
          const r = await runZpm(rec.argv, { cwd: fresh.project, env: fresh.env });
          if (r.code !== 0 || r.stdout !== rec.stdout) {
            mismatches.push(
              `replay of CLI ${brief(rec.argv)}: was ${brief(rec.stdout)}, now ${r.code} ${brief(r.stdout)} ${
                brief(r.stderr)
              }`,
            );
          }
        }
      }
      deepStrictEqual(
        mismatches,
        [],
        `successful calls answered differently on replay:\n${mismatches.join("\n")}`,
      );
      const replayed = await projectFingerprint(replay);
      if (live !== replayed) {
        await Deno.writeTextFile(join(sb.root, "live.txt"), live);
        await Deno.writeTextFile(join(sb.root, "replayed.txt"), replayed);
        throw new Error(
          `the knowledge base differs from what the successful calls alone produce (${sb.root}/{live,replayed}.txt): ${
            firstDifference(live, replayed)
          }`,
        );
      }
    } finally {
      await replay.close();
    }
    console.log(
      `hostile sweep: ${CALLS} MCP calls (${counts.ok} ok, ${counts.toolError} error results, ${counts.rpcError} JSON-RPC errors), ` +
        `${cliDone} CLI calls, ${recorded.length} successful mutations replayed; sweep ${
          Math.round((swept - started) / 1000)
        } s, ` +
        `total ${Math.round((performance.now() - started) / 1000)} s; slowest MCP call ${
          Math.round(slowest.ms)
        } ms: ${slowest.what.slice(0, 160)}`,
    );
    if (Deno.env.get("ZPM_HOSTILE_VERBOSE")) {
      for (const [tool, t] of [...perTool].sort()) console.log(`  ${tool}: ${t.ok} ok, ${t.error} errors`);
    }
    await Deno.remove(sb.root, { recursive: true }).catch(() => {});
    await Deno.remove(fresh.root, { recursive: true }).catch(() => {});
  },
});

/** The registry is the source of the sweep: every tool gets calls from the default seed. */
Deno.test("hostile sweep: the generator covers every tool of the registry", () => {
  const gen = new Generator(new Rng(SEED), TOOLS, {
    maxString: 1 << 20,
    cli: false,
    budget: { runaway: 8, deep: 10, huge: 10 },
  });
  const seen = new Set<string>();
  for (let i = 0; i < Math.min(CALLS, 1000); i++) seen.add(gen.next().tool);
  const missing = TOOLS.map((t) => t.name).filter((n) => !seen.has(n));
  deepStrictEqual(missing, [], `tools without hostile calls: ${missing.join(", ")}`);
});
