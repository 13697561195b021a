/** `zpm memory create|mount|unmount|list`: the memory command group, over the same tools. */
import { type Command, Option } from "commander";
import { callTool, findTool } from "../tools/registry.ts";
import { log } from "../io/log.ts";
import { bootProject } from "./project_boot.ts";
import { renderResult } from "./render.ts";
import { isStoreUrl, redact } from "../persistence/pg_url.ts";
import { writeStdout } from "../io/output.ts";

/** Add the group; `setExit` records the exit code. */
export function registerMemoryGroup(program: Command, setExit: (code: number) => void): void {
  const group = program.command("memory").description("create, mount, unmount and list memories");
  const sub = (name: string, tool: string, describe: (c: Command) => Command) => {
    const cmd = group.command(name);
    const c = describe(name === "list" ? cmd : cmd.argument("[name]", "memory name (or --name)"));
    c.action(async (...a: unknown[]) => {
      const opts = c.opts() as Record<string, string | undefined>;
      const args: Record<string, unknown> = {};
      const name = opts.name ?? (typeof a[0] === "string" ? a[0] : undefined);
      if (name !== undefined) args.name = name;
      if (opts.scope) args.scope = opts.scope;
      if (opts.mode) args.mode = opts.mode;
      if (opts.store !== undefined && !isStoreUrl(opts.store)) {
        log(
          `zpm memory ${c.name()}: InvalidArguments: --store must be a postgres:// URL, got ${
            redact(opts.store)
          }`,
        );
        setExit(1);
        return;
      }
      if (tool !== "list_memories" && name === undefined) {
        log(
          `zpm memory ${c.name()}: InvalidArguments: a memory name is required (--name NAME or a positional NAME)`,
        );
        setExit(1);
        return;
      }
      const project = await bootProject(program.opts().project, "one-shot");
      try {
        const r = await callTool(findTool(tool)!, { project }, args);
        if (r.toolError) {
          log(`zpm memory ${c.name()}: ${r.texts[0]}`);
          setExit(1);
          return;
        }
        if (opts.store && !r.isError && name !== undefined) await project.setMemoryStore(name, opts.store);
        writeStdout(renderResult(r, "text"));
        setExit(r.isError ? 1 : 0);
      } finally {
        await project.close();
      }
    });
  };
  const scope = () => new Option("--scope <scope>", "project or global").choices(["project", "global"]);
  sub(
    "create",
    "create_memory",
    (c) =>
      c.description("create a memory").option("--name <name>", "memory name").addOption(scope())
        .option("--store <url>", "keep the journal in PostgreSQL (postgres://user@host/db; no password)"),
  );
  sub(
    "mount",
    "mount_memory",
    (c) =>
      c.description("mount a memory (or change its mode)").option("--name <name>", "memory name")
        .addOption(new Option("--mode <mode>", "rw or ro").choices(["rw", "ro"])).addOption(scope()),
  );
  sub(
    "unmount",
    "unmount_memory",
    (c) => c.description("unmount a memory").option("--name <name>", "memory name"),
  );
  sub("list", "list_memories", (c) => c.description("list memories"));
}
