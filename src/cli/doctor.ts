/**
 * `zpm doctor [--memory NAME] [--json] [--repair keep-prefix|skip]`: report on every memory (journal,
 * archives, snapshots, user files) and mounts.json; repair damaged journals. Exit code 1 when
 * something is damaged (after repairs, if any were asked for).
 */
import type { Command } from "commander";
import {
  diagnose,
  formatHealth,
  isDamaged,
  type MemoryHealth,
  REPAIR_MODES,
  repairJournal,
  type RepairMode,
} from "../core/doctor.ts";
import { limitsFromEnv } from "../core/limits.ts";
import { projectPaths, resolveRoot } from "../project/root.ts";
import { doctorTargets, readManifest } from "./doctor_targets.ts";
import { storeHealthLines } from "./store_group.ts";

/** One memory in the report. */
interface MemoryReport extends MemoryHealth {
  scope: "project" | "global";
  mounted: boolean;
  problem?: string;
  repaired: string[];
}

function explainModes(): string {
  const lines = ["zpm doctor --repair needs a mode:"];
  for (const [mode, what] of Object.entries(REPAIR_MODES)) {
    lines.push(`  --repair ${mode.padEnd(12)} ${what}`);
  }
  lines.push("Both keep a full backup of the journal. Add --memory NAME to repair one memory only.");
  return lines.join("\n");
}

/** The report of a memory whose files were not examined. */
function emptyHealth(memory: string, dataDir: string): MemoryHealth {
  return {
    memory,
    dataDir,
    journalBytes: 0,
    transactions: 0,
    damage: null,
    archives: [],
    snapshots: [],
    userFileErrors: [],
    foreign: null,
    unsafe: null,
    exposed: [],
  };
}

/** Add the doctor command; `setFailed` marks a non-zero exit. */
export function registerDoctor(program: Command, setFailed: () => void): void {
  program.command("doctor")
    .description(
      "check every memory (journals, snapshots, kb/*.pl user files) and mounts.json; --repair MODE fixes damaged journals (a backup is kept)",
    )
    .option("--memory <name>", "check only this memory")
    .option("--json", "print a machine-readable report")
    .option("--repair [mode]", "repair damaged journals: keep-prefix or skip (bare --repair explains them)")
    .action(async (opts: { memory?: string; json?: boolean; repair?: string | boolean }) => {
      if (opts.repair === true || (typeof opts.repair === "string" && !(opts.repair in REPAIR_MODES))) {
        console.error(
          (typeof opts.repair === "string" ? `zpm doctor: unknown repair mode '${opts.repair}'\n` : "") +
            explainModes(),
        );
        setFailed();
        return;
      }
      const mode = opts.repair as RepairMode | undefined;
      const { root } = resolveRoot(program.opts().project);
      const paths = projectPaths(root);
      const manifest = readManifest(paths);
      let targets = doctorTargets(paths, manifest.entries);
      if (opts.memory !== undefined) {
        targets = targets.filter((t) => t.entry.name === opts.memory);
        if (targets.length === 0) {
          console.error(`zpm doctor: no memory named '${opts.memory}' (mounted or on disk) in ${root}`);
          setFailed();
          return;
        }
      }
      const limits = limitsFromEnv();
      const { InProcessEngine } = await import("../engine/inprocess_engine.ts");
      const scratch = () => InProcessEngine.start(limits.maxKbBytes);
      const reports: MemoryReport[] = [];
      for (const t of targets) {
        const { name, dataDir, snapshotDir } = t.location;
        const base = {
          scope: t.entry.scope,
          mounted: t.mounted,
          problem: t.problem,
          repaired: [] as string[],
        };
        if (t.refused) {
          // A refused entry's files may lie outside the project: they are not read at all.
          reports.push({ ...emptyHealth(name, dataDir), ...base });
          continue;
        }
        if (t.problem) {
          reports.push({ ...(await diagnose(name, dataDir, snapshotDir)), ...base });
          continue;
        }
        let health = await diagnose(name, dataDir, snapshotDir, scratch);
        if (mode && health.damage) {
          base.repaired = await repairJournal(dataDir, mode);
          health = await diagnose(name, dataDir, snapshotDir, scratch);
        }
        reports.push({ ...health, ...base });
      }
      const damaged = manifest.problem !== null ||
        reports.some((r) => isDamaged(r) || (r.mounted && r.problem !== undefined));
      if (opts.json) {
        console.log(JSON.stringify(
          {
            project: root,
            healthy: !damaged,
            manifest: { ok: manifest.problem === null, problem: manifest.problem },
            memories: reports,
            stores: await storeHealthLines(paths.manifest),
          },
          null,
          2,
        ));
      } else {
        const out = [`project ${root}`];
        out.push(`mounts.json: ${manifest.problem ?? "ok"}`);
        for (const r of reports) {
          const lines = formatHealth(r);
          lines[0] += ` [${r.scope}${r.mounted ? "" : ", not mounted"}]`;
          if (r.problem) lines.splice(1, lines.length - 1, `  PROBLEM: ${r.problem}`);
          out.push(...r.repaired.map((n) => `repaired '${r.memory}': ${n}`), ...lines);
        }
        out.push(...await storeHealthLines(paths.manifest));
        out.push(damaged ? "result: DAMAGED (see above)" : "result: healthy");
        console.log(out.join("\n"));
      }
      if (damaged) setFailed();
    });
}
