/** The command line: generated from the tool registry with commander. */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { registerTokenGroup } from "./token_group.ts";
import { initProject, isDir, resolveRoot, userCwd } from "../project/root.ts";
import { callTool, TOOLS } from "../tools/registry.ts";
import { type Param, paramsOf, type ToolSpec } from "../tools/types.ts";
import { VERSION } from "../version.ts";
import { registerDoctor } from "./doctor.ts";
import { registerDaemonGroup } from "./daemon_group.ts";
import { registerMemoryGroup } from "./memory_group.ts";
import { log } from "../io/log.ts";
import { bootProject } from "./project_boot.ts";
import { registerStoreGroup } from "./store_group.ts";
import { registerTransfer } from "./transfer.ts";
import { type Format, renderResult } from "./render.ts";
import { registerUpgrade } from "../upgrade/command.ts";
import { writeStderr, writeStdout } from "../io/output.ts";

/** kebab-case of a snake_case name. */
export function kebab(name: string): string {
  return name.replaceAll("_", "-");
}

function parseInteger(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`'${value}' is not an integer.`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`'${value}' is out of range.`);
  return n;
}

/** Exit code a command asks for. */
let exitCode = 0;

function addToolCommand(program: Command, tool: ToolSpec) {
  const cmd = program.command(kebab(tool.name)).description(tool.description);
  const params = paramsOf(tool);
  const positional = params.filter((p) => p.positional);
  for (const p of positional) cmd.argument(`<${kebab(p.name)}>`, p.description);
  for (const p of params.filter((p) => !p.positional)) cmd.addOption(paramOption(p));
  cmd.addOption(
    new Option("--format <format>", "output format").choices(["text", "json"]).default("text"),
  );
  cmd.action(async (...actionArgs: unknown[]) => {
    const opts = cmd.opts();
    const args: Record<string, unknown> = {};
    positional.forEach((p, i) => (args[p.name] = actionArgs[i]));
    for (const p of params) {
      const key = camel(p.name);
      if (!p.positional && opts[key] !== undefined) args[p.name] = opts[key];
    }
    const project = await bootProject(program.opts().project, "one-shot");
    try {
      const r = await callTool(tool, { project }, args);
      if (r.toolError) {
        log(`zpm ${kebab(tool.name)}: ${r.texts[0]}`);
        exitCode = 1;
        return;
      }
      writeStdout(renderResult(r, opts.format as Format));
      exitCode = r.isError ? 1 : 0;
    } finally {
      await project.close();
    }
  });
}

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
}

function paramOption(p: Param): Option {
  // A boolean is a flag (`--dry-run`), as on `zpm upgrade`; a value after it is an excess argument.
  const value = p.type === "boolean"
    ? ""
    : ` <${p.type === "integer" ? "n" : p.type === "string[]" ? "value..." : "value"}>`;
  const opt = new Option(
    `--${kebab(p.name)}${value}`,
    p.type === "string[]" ? `${p.description} (repeat the flag or give several values)` : p.description,
  );
  if (p.type === "integer") opt.argParser(parseInteger);
  if (p.enum) opt.choices(p.enum);
  if (p.required) opt.makeOptionMandatory();
  return opt;
}

/** Flags of `zpm serve`. */
interface ServeFlags {
  timeoutMs?: number;
  http?: string;
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  allowHost?: string[];
  allowOrigin?: string[];
  maxSessions?: number;
  maxBodyBytes?: number;
}

/** The error for --project / ZPM_PROJECT naming a directory without `.zpm/`, else null. */
function missingProject(flag: string | undefined): string | null {
  const { root, source } = resolveRoot(flag);
  if (source === "user-default" || isDir(`${root}/.zpm`)) return null;
  return `no .zpm/ directory in ${root}. Run \`zpm init\` in ${root} first (or point --project / ZPM_PROJECT at a project that has one), then restart the server.`;
}

/** Build the program. */
export function buildProgram(): Command {
  const program = new Command("zpm")
    .description("Prolog inference engine for the Model Context Protocol: durable memory for LLM agents")
    .version(`zpm ${VERSION}`, "-V, --version", "print the version")
    .option(
      "--project <dir>",
      "project directory (default: walk up to .zpm/, then ZPM_PROJECT, then the per-user default)",
    )
    .configureHelp({ styleTitle: (t: string) => t.replace(/:$/, "").toUpperCase() + ":" })
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: writeStdout, writeErr: writeStderr })
    .exitOverride();

  program.command("version").description("print the version").action(() => writeStdout(`zpm ${VERSION}\n`));
  program.command("init").description("create .zpm/ in the current directory").action(() => {
    writeStdout(
      initProject(userCwd())
        ? "Initialized .zpm/ project directory\n"
        : ".zpm/ project directory already initialized\n",
    );
  });
  registerDoctor(program, () => exitCode = 1);
  registerMemoryGroup(program, (code) => exitCode = code);
  registerStoreGroup(program, (code) => exitCode = code);
  registerUpgrade(program);
  registerTokenGroup(program, (code) => exitCode = code);
  registerTransfer(program, (code) => exitCode = code);
  registerDaemonGroup(program, (code) => exitCode = code);
  program.command("serve").description("run the MCP server on stdio (or Streamable HTTP with --http)")
    .option(
      "--timeout-ms <n>",
      "wall-clock limit per call in ms (default 5000 or ZPM_QUERY_TIMEOUT_MS)",
      parseInteger,
    )
    .option("--http <[host:]port>", "serve MCP over Streamable HTTP at http://HOST:PORT/mcp (host 127.0.0.1)")
    .option("--token-file <path>", "bearer token file (default: $XDG_CONFIG_HOME/zpm/tokens.json)")
    .option("--tls-cert <file>", "PEM certificate: serve HTTPS (with --tls-key)")
    .option("--tls-key <file>", "PEM private key for --tls-cert")
    .option("--allow-host <names...>", "extra accepted Host headers (e.g. a reverse proxy's name)")
    .option("--allow-origin <origins...>", "extra accepted Origin headers")
    .option("--max-sessions <n>", "most open HTTP sessions (default 100)", parseInteger)
    .option("--max-body-bytes <n>", "largest HTTP request body (default 4194304)", parseInteger)
    .action(async (opts: ServeFlags) => {
      const overrides = opts.timeoutMs && opts.timeoutMs > 0 ? { timeoutMs: opts.timeoutMs } : {};
      const missing = missingProject(program.opts().project);
      // The MCP server modules (and their SDK) load only for `serve`: other commands start faster.
      const { serveStdio } = await import("../mcp/server.ts");
      if (missing) {
        // Complete the handshake anyway, so the client shows this message instead of "Connection closed".
        log(`zpm: ${missing}`);
        await serveStdio({ version: VERSION, error: missing });
        exitCode = 1;
        return;
      }
      if (Deno.stdin.isTerminal()) {
        log(
          `zpm serve: waiting for an MCP client on stdin (project ${
            resolveRoot(program.opts().project).root
          }); run it from an MCP client, not by hand (Ctrl-D stops it)`,
        );
      }
      const { parseListen, serveHttp } = await import("../mcp/http_server.ts");
      const { defaultTokenFile } = await import("../mcp/auth.ts");
      const listen = opts.http !== undefined ? parseListen(opts.http) : null;
      const project = await bootProject(program.opts().project, "server", overrides);
      try {
        if (!listen) await serveStdio(project);
        else {
          await serveHttp(project, {
            ...listen,
            tokenFile: opts.tokenFile ?? defaultTokenFile(),
            tlsCert: opts.tlsCert,
            tlsKey: opts.tlsKey,
            allowHosts: opts.allowHost,
            allowOrigins: opts.allowOrigin,
            maxSessions: opts.maxSessions,
            maxBodyBytes: opts.maxBodyBytes,
            onListen: (port) => log(`zpm: listening on port ${port}`),
          });
        }
      } finally {
        await project.close();
      }
    });
  for (const tool of TOOLS) addToolCommand(program, tool);
  const configure = (c: Command) => {
    c.exitOverride().configureHelp(program.configureHelp()).configureOutput(program.configureOutput());
    c.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  return program;
}

/** Run the CLI with `argv` (without the program name); returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length === 0) {
    writeStderr(program.helpInformation());
    return 1;
  }
  exitCode = 0;
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help"
      ) {
        return 0;
      }
      return e.exitCode === 0 ? 0 : 1;
    }
    log(`zpm: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  return exitCode;
}
