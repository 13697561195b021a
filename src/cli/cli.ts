/** The command line: generated from the tool registry with commander (§10). */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { serveStdio } from "../mcp/server.ts";
import { initProject } from "../project/root.ts";
import { callTool, TOOLS } from "../tools/registry.ts";
import { type Param, paramsOf, type ToolSpec } from "../tools/types.ts";
import { VERSION } from "../version.ts";
import { registerDoctor } from "./doctor.ts";
import { registerMemoryGroup } from "./memory_group.ts";
import { registerStoreGroup } from "./store_group.ts";
import { bootProject, log } from "./project_boot.ts";
import { type Format, renderResult } from "./render.ts";
import { registerUpgrade } from "../upgrade/command.ts";

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

function parseBoolean(value: string): boolean {
  return value === "true";
}

function writeOut(text: string) {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
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
      writeOut(renderResult(r, opts.format as Format));
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
  const flag = `--${kebab(p.name)} <${p.type === "integer" ? "n" : "value"}>`;
  const opt = new Option(flag, p.description);
  if (p.type === "integer") opt.argParser(parseInteger);
  if (p.type === "boolean") opt.argParser(parseBoolean);
  if (p.enum) opt.choices(p.enum);
  if (p.required) opt.makeOptionMandatory();
  return opt;
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
    .exitOverride();

  program.command("version").description("print the version").action(() => writeOut(`zpm ${VERSION}\n`));
  program.command("init").description("create .zpm/ in the current directory").action(() => {
    writeOut(
      initProject(Deno.cwd())
        ? "Initialized .zpm/ project directory\n"
        : ".zpm/ project directory already initialized\n",
    );
  });
  registerDoctor(program, () => exitCode = 1);
  registerMemoryGroup(program, (code) => exitCode = code);
  registerStoreGroup(program, (code) => exitCode = code);
  registerUpgrade(program);
  program.command("serve").description("run the MCP server on stdio")
    .option(
      "--timeout-ms <n>",
      "wall-clock limit per call in ms (default 5000 or ZPM_QUERY_TIMEOUT_MS)",
      parseInteger,
    )
    .action(async (opts: { timeoutMs?: number }) => {
      const overrides = opts.timeoutMs && opts.timeoutMs > 0 ? { timeoutMs: opts.timeoutMs } : {};
      const project = await bootProject(program.opts().project, "server", overrides);
      try {
        await serveStdio(project);
      } finally {
        await project.close();
      }
    });
  for (const tool of TOOLS) addToolCommand(program, tool);
  const configure = (c: Command) => {
    c.exitOverride().configureHelp(program.configureHelp());
    c.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  return program;
}

/** Run the CLI with `argv` (without the program name); returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length === 0) {
    Deno.stderr.writeSync(new TextEncoder().encode(program.helpInformation()));
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
