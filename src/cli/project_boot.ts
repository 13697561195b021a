/** Opening the project for a command: --project / ZPM_PROJECT / discovery / per-user default. */
import { join } from "node:path";
import { type Limits, limitsFromEnv } from "../core/limits.ts";
import { type OpenOptions, Project, type Runtime } from "../project/project.ts";
import { initProject, resolveRoot, upgradeGitignore, userCwd } from "../project/root.ts";
import { VERSION } from "../version.ts";
import { log } from "../io/log.ts";

let opener: (opts: OpenOptions) => Promise<Project> = (opts) => Project.open(opts);

/** How {@link bootProject} opens a project (the warm engine keeps its projects open across commands). */
export function setProjectOpener(open: (opts: OpenOptions) => Promise<Project>): void {
  opener = open;
}

/** Open the project a command works on; throws with a clear message when it cannot. */
export async function bootProject(
  projectFlag: string | undefined,
  runtime: Runtime,
  overrides: Partial<Limits> = {},
): Promise<Project> {
  const { root, source } = resolveRoot(projectFlag);
  let exists = false;
  try {
    exists = Deno.statSync(join(root, ".zpm")).isDirectory;
  } catch { /* missing */ }
  if (!exists) {
    if (source !== "user-default") {
      throw new Error(`no .zpm/ directory in ${root}. Run \`zpm init\` there first.`);
    }
    Deno.mkdirSync(root, { recursive: true });
    initProject(root);
  }
  upgradeGitignore(join(root, ".zpm"));
  if (source === "user-default") {
    log(`zpm: no .zpm/ directory found from ${userCwd()}; using the per-user default project ${root}`);
  }
  return await opener({
    root,
    runtime,
    limits: limitsFromEnv(overrides),
    version: VERSION,
    log,
  });
}
