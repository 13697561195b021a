/**
 * `zpm import FILE.pl` and `zpm export`: moving knowledge in and out of a memory as plain Prolog.
 *
 * Import reads and checks the whole file first (every bad clause is reported with file:line); then it
 * commits the good clauses in chunks of `IMPORT_CHUNK`, each chunk one journal transaction (a chunk
 * is stored whole or not at all). With `--all-or-nothing` a single bad clause stores nothing. An
 * interrupted import leaves the chunks committed before the interruption; the summary and progress
 * lines say how many.
 */
import { DEFAULT_MEMORY } from "../project/memory_location.ts";
import type { Command } from "commander";
import { writeFileAtomic } from "../io/files.ts";
import { MemoryError } from "../project/memory_location.ts";
import type { Project } from "../project/project.ts";
import type { KnowledgeBase } from "../core/knowledge_base.ts";
import { log } from "../io/log.ts";
import { bootProject } from "./project_boot.ts";
import { Progress } from "../core/progress.ts";
import { writeStdout } from "../io/output.ts";

/** Clauses per journal transaction of an import. */
export const IMPORT_CHUNK = 5000;

async function withProject(program: Command, run: (p: Project) => Promise<number>): Promise<number> {
  const project = await bootProject(program.opts().project, "one-shot");
  try {
    return await run(project);
  } catch (e) {
    if (e instanceof MemoryError) {
      log(`zpm: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    await project.close();
  }
}

/** Import `file` into `memory` (nothing at all when `strict` and a clause is bad); returns the exit code. */
async function importFile(project: Project, file: string, memory: string, strict: boolean): Promise<number> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    log(`zpm import: cannot read ${file}: ${(e as Error).message}`);
    return 1;
  }
  const kb = await project.use(memory, "write");
  const progress = new Progress("zpm import");
  try {
    return await importChecked(kb, { file, text, memory, strict }, progress);
  } finally {
    progress.end();
  }
}

/** What to import: the file's name and text, the target memory, and whether a bad clause stops it all. */
interface ImportJob {
  file: string;
  text: string;
  memory: string;
  strict: boolean;
}

async function importChecked(kb: KnowledgeBase, job: ImportJob, progress: Progress): Promise<number> {
  const { file, text, memory, strict } = job;
  progress.report(`reading and checking ${file}`);
  const read = await kb.read("import_read", [text, file, IMPORT_CHUNK]); // deadline stretched by the size
  if (!read.ok) {
    log(`zpm import: ${file}: ${read.error}`);
    return 1;
  }
  const { clauses, chunks, errors } = read.value;
  for (const e of errors) log(e);
  if (errors.length > 0 && strict) {
    log(
      `zpm import: ${errors.length} problem(s) in ${file}; nothing was imported (--all-or-nothing; fix them and run it again)`,
    );
    return 1;
  }
  // The engine holds the checked clauses: each chunk is stored as one transaction.
  let committed = 0;
  let transactions = 0;
  for (let chunk = 0; chunk < chunks; chunk++) {
    const m = await kb.mutate("import_chunk", [chunk, text.length]);
    if (!m.reply.ok) {
      log(`zpm import: ${m.reply.error}`);
      log(
        `zpm import: stopped; ${committed} clause(s) were committed before (${transactions} transaction(s)), the rest was not`,
      );
      return 1;
    }
    committed += m.reply.value.result.count;
    transactions++;
    if (m.notDurable) log(`zpm import: ${m.notDurable}`);
    progress.tick(committed, clauses, "clauses committed");
  }
  const summary =
    `imported ${committed} clause(s) from ${file} into memory '${memory}' in ${transactions} transaction(s)`;
  console.log(`${summary[0].toUpperCase()}${summary.slice(1)}.`);
  progress.done(`${committed} clauses`);
  if (errors.length === 0) return 0;
  log(
    `zpm import: ${errors.length} bad clause(s) in ${file} were skipped (listed above); fix them and import them again`,
  );
  return 1;
}

/** Export `memory` to `output` (stdout when absent); returns the exit code. */
async function exportMemory(
  project: Project,
  memory: string,
  withMeta: boolean,
  output?: string,
): Promise<number> {
  const kb = await project.use(memory, "read");
  const progress = new Progress("zpm export");
  progress.report(`writing out memory '${memory}'`);
  const r = await kb.read("export", [withMeta ? 1 : 0], 0); // no user goals run; bounded by the memory
  if (!r.ok) {
    progress.end();
    log(`zpm export: ${r.error}`);
    return 1;
  }
  const header = `% zpm export of memory '${memory}': ${r.value.clauses} clause(s)${
    withMeta ? " (with zpm bookkeeping)" : ""
  }\n`;
  const text = header + r.value.text;
  if (output) {
    await writeFileAtomic(output, text);
    log(`zpm export: wrote ${r.value.clauses} clause(s) of memory '${memory}' to ${output}`);
  } else {
    writeStdout(text);
  }
  progress.done(`${r.value.clauses} clauses`);
  return 0;
}

/** Add `import` and `export`; `setCode` sets the exit code. */
export function registerTransfer(program: Command, setCode: (code: number) => void): void {
  program.command("import")
    .description(
      "import facts and rules from a Prolog file (dynamic, discontiguous and op/3 directives allowed); checks every clause, commits the good ones in transactions of 5000 clauses",
    )
    .argument("<file>", "the .pl file to read")
    .option("--memory <name>", "memory to import into", DEFAULT_MEMORY)
    .option("--all-or-nothing", "import nothing when any clause is bad")
    .action(async (file: string, opts: { memory: string; allOrNothing?: boolean }) => {
      setCode(
        await withProject(program, (p) => importFile(p, file, opts.memory, opts.allOrNothing === true)),
      );
    });
  program.command("export")
    .description(
      "write a memory's facts and rules as plain quoted Prolog (readable by zpm import and swipl consult)",
    )
    .option("--memory <name>", "memory to export", DEFAULT_MEMORY)
    .option("--with-meta", "include zpm's bookkeeping (zpm_source/2, tms_justification/2)")
    .option("--output <file>", "write to this file instead of stdout")
    .action(async (opts: { memory: string; withMeta?: boolean; output?: string }) => {
      setCode(
        await withProject(program, (p) => exportMemory(p, opts.memory, opts.withMeta === true, opts.output)),
      );
    });
}
