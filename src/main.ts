/**
 * zpm entry point: the CLI, `serve`, the hidden engine host used by `serve` and the CLI, and the hidden
 * warm engine (`__daemon`). Each path imports only what it needs: a tool command that the warm engine
 * answers loads no engine, MCP or database module at all.
 */
import { adoptTaskCwd } from "./project/root.ts";

/**
 * A tool command run here starts its engine host before loading the rest of zpm, so the two overlap;
 * returns whether it did (the host is killed at the end if the command did not take it).
 */
async function startEngineForToolCommand(argv: string[]): Promise<boolean> {
  const { toolCommandOf } = await import("./daemon/client.ts");
  if (!toolCommandOf(argv) || Deno.env.get("ZPM_CLI_INPROCESS") === "1") return false;
  const { limitsFromEnv } = await import("./core/limits.ts");
  const { startEngineEarly } = await import("./engine/process_engine.ts");
  try {
    startEngineEarly(limitsFromEnv().maxKbBytes);
    return true;
  } catch {
    return false; // a bad setting: the command reports it
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "__engine-host") {
    const { runEngineHost } = await import("./engine/host.ts");
    const flag = Deno.args.find((a) => a.startsWith("--max-kb-bytes="));
    await runEngineHost(Number(flag?.split("=")[1] ?? 805306368));
    Deno.exit(0);
  }
  if (Deno.args[0] === "__daemon") {
    const { runDaemon } = await import("./daemon/server.ts");
    Deno.exit(await runDaemon(Deno.args.slice(1)));
  }
  adoptTaskCwd();
  const { warmCall } = await import("./daemon/client.ts");
  const warm = await warmCall(Deno.args);
  if (warm !== null) Deno.exit(warm);
  const early = await startEngineForToolCommand(Deno.args);
  const { runCli } = await import("./cli/cli.ts");
  const code = await runCli(Deno.args);
  if (early) (await import("./engine/process_engine.ts")).stopEarlyEngine();
  Deno.exit(code);
}
