/** zpm entry point: the CLI, `serve`, and the hidden engine host used by `serve`. */
import { runCli } from "./cli/cli.ts";
import { runEngineHost } from "./engine/host.ts";
import { adoptTaskCwd } from "./project/root.ts";

if (import.meta.main) {
  if (Deno.args[0] === "__engine-host") {
    const flag = Deno.args.find((a) => a.startsWith("--max-kb-bytes="));
    await runEngineHost(Number(flag?.split("=")[1] ?? 805306368));
    Deno.exit(0);
  }
  adoptTaskCwd();
  Deno.exit(await runCli(Deno.args));
}
