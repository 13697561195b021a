/**
 * `zpm upgrade [--channel stable|dev] [--dry-run] [--force]`: replace the installed zpm binary with a
 * release from GitHub, fixing upstream's weaknesses: releases are ordered by semantic
 * version and an older one is never installed without `--force`; the asset is streamed to disk (progress on
 * stderr) and hashed on the way; it must match the release's `SHA256SUMS`; the binary is replaced
 * atomically (`<self>.new`, same permissions, rename) and a `<self>.new` left by a crash is removed first.
 * Every failure prints `ERROR: <message>` on stderr, exits 1 and leaves the installed binary untouched.
 */
import { type Command, CommanderError, Option } from "commander";
import { UpgradeError } from "./errors.ts";
import { writeText } from "../io/output.ts";
import { PLATFORMS } from "./platform.ts";
import { DEFAULT_API } from "./releases.ts";

/** Add the `zpm upgrade` sub-command (options, environment help, error reporting) to the program. */
export function registerUpgrade(program: Command): void {
  program.command("upgrade")
    .description("replace this zpm binary with the newest release (SHA-256 verified)")
    .addOption(
      new Option("--channel <channel>", "stable releases only, or dev (prereleases too)")
        .choices(["stable", "dev"]).default("stable"),
    )
    .option("--dry-run", "show the release, asset, checksum and install path; change nothing")
    .option("--force", "install the selected release even if it is not newer than this zpm")
    .addHelpText(
      "after",
      "\nEnvironment:\n" +
        `  ZPM_GITHUB_API_URL     release API (default ${DEFAULT_API})\n` +
        `  ZPM_OVERRIDE_PLATFORM  asset platform instead of this machine's (${PLATFORMS.join(", ")})\n` +
        "  ZPM_UPGRADE_TARGET     file to replace instead of this executable (tests, packaging)\n",
    )
    .action(async (opts: { channel: "stable" | "dev"; dryRun?: boolean; force?: boolean }) => {
      let lines: string[];
      try {
        // The download/verify/replace modules (semver, node:crypto) load only for this command.
        const { runUpgrade } = await import("./run.ts");
        lines = await runUpgrade({ channel: opts.channel, dryRun: !!opts.dryRun, force: !!opts.force });
      } catch (e) {
        const message = e instanceof UpgradeError
          ? e.message
          : `upgrade failed: ${e instanceof Error ? e.message : String(e)}`;
        writeText(Deno.stderr, `ERROR: ${message}\n`);
        throw new CommanderError(1, "zpm.upgradeFailed", message);
      }
      writeText(Deno.stdout, lines.map((l) => l + "\n").join(""));
    });
}
