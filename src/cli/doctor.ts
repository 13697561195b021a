/** `zpm doctor [--repair keep-prefix|skip]`: report and repair journal damage. */
import { type Command, Option } from "commander";
import { diagnose, formatHealth, repairJournal, type RepairMode } from "../core/doctor.ts";
import { defaultEntry, locate } from "../project/memory_location.ts";
import { projectPaths, resolveRoot } from "../project/root.ts";
import { storeHealthLines } from "./store_group.ts";

/** Add the doctor command; `setFailed` marks a non-zero exit. */
export function registerDoctor(program: Command, setFailed: () => void): void {
  program.command("doctor")
    .description("check journals and snapshots; --repair fixes a damaged journal (a backup is kept)")
    .addOption(new Option("--repair <mode>", "repair mode").choices(["keep-prefix", "skip"]))
    .action(async (opts: { repair?: RepairMode }) => {
      const { root } = resolveRoot(program.opts().project);
      const m = locate(projectPaths(root), defaultEntry());
      const out: string[] = [`project ${root}`];
      let health = await diagnose(m.name, m.dataDir, m.snapshotDir);
      if (opts.repair && health.damage) {
        for (const note of await repairJournal(m.dataDir, opts.repair)) out.push(`repaired: ${note}`);
        health = await diagnose(m.name, m.dataDir, m.snapshotDir);
      }
      out.push(...formatHealth(health));
      out.push(...await storeHealthLines(projectPaths(root).manifest));
      console.log(out.join("\n"));
      if (health.damage?.kind === "corrupt") setFailed();
    });
}
