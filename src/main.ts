/**
 * zpm entry point: the CLI, `serve`, the hidden engine host used by `serve` and the CLI, and the hidden
 * warm engine (`__daemon`). Each path imports only what it needs: a tool command that the warm engine
 * answers loads no engine, MCP or database module at all.
 */
import { adoptTaskCwd } from "./project/root.ts";

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
  const { runCli } = await import("./cli/cli.ts");
  Deno.exit(await runCli(Deno.args));
}
