/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned) against the real
 * `zpm serve --http`. Every scenario must pass except those listed in conformance-baseline.yml (fixtures
 * zpm cannot honestly provide); the runner also fails when a listed scenario starts passing.
 */
import { ok } from "node:assert/strict";
import { tempProject } from "../helpers/zpm.ts";
import { startServer } from "./_server.ts";

const SUITE = "npm:@modelcontextprotocol/conformance@0.1.16";
const BASELINE = new URL("./conformance-baseline.yml", import.meta.url).pathname;

Deno.test("conformance: every applicable server scenario passes over Streamable HTTP", async () => {
  const dir = await tempProject();
  const server = await startServer(dir);
  try {
    const work = await Deno.makeTempDir({ prefix: "zpm-conformance-" });
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-config",
        SUITE,
        "server",
        "--url",
        server.url,
        "--expected-failures",
        BASELINE,
      ],
      cwd: work,
      env: { HOME: Deno.env.get("HOME") ?? work, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    const summary = text.slice(text.indexOf("=== SUMMARY ==="));
    ok(out.code === 0, `conformance suite failed (exit ${out.code}):\n${summary}`);
    for (
      const s of ["server-initialize", "ping", "tools-list", "dns-rebinding-protection", "logging-set-level"]
    ) {
      ok(new RegExp(`✓ ${s}:`).test(summary), `${s} did not pass:\n${summary}`);
    }
    for (
      const s of ["completion-complete", "resources-list", "prompts-list", "server-sse-multiple-streams"]
    ) {
      ok(new RegExp(`✓ ${s}:`).test(summary), `${s} did not pass:\n${summary}`);
    }
  } finally {
    ok(await server.stop() === 0, "server exits 0 on SIGTERM");
  }
});
