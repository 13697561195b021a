/** `zpm token create|list|revoke`: bearer tokens for `zpm serve --http` (only hashes are stored). */
import { type Command, Option } from "commander";
import { defaultTokenFile, hashToken, loadTokens, newToken, saveTokens } from "../mcp/auth.ts";
import { writeStderr, writeStdout as out } from "../io/output.ts";

/** Register the token group on `program`; `fail(code)` sets the exit code. */
export function registerTokenGroup(program: Command, fail: (code: number) => void): void {
  const group = program.command("token").description("manage bearer tokens for `zpm serve --http`");
  const fileOpt = () =>
    new Option(
      "--token-file <path>",
      "token file (default: $XDG_CONFIG_HOME/zpm/tokens.json or ~/.config/zpm/)",
    );
  group.command("create").description("create a token and print it once (only its hash is stored)")
    .argument("<name>", "a name for the token, e.g. alice-laptop")
    .addOption(
      new Option("--mode <mode>", "ro: read-only tools; rw: every tool").choices(["ro", "rw"]).default("rw"),
    )
    .option("--memory <names...>", "limit the token to these memories")
    .addOption(fileOpt())
    .action(async (name: string, o: { mode: "ro" | "rw"; memory?: string[]; tokenFile?: string }) => {
      const file = o.tokenFile ?? defaultTokenFile();
      const tokens = loadTokens(file);
      if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(name)) {
        throw new Error(`token name '${name}' must be 1-64 letters, digits or _.@-`);
      }
      if (tokens.some((t) => t.name === name)) {
        throw new Error(`a token named '${name}' exists; revoke it first or pick another name`);
      }
      const token = newToken();
      tokens.push({
        name,
        hash: await hashToken(token),
        mode: o.mode,
        ...(o.memory ? { memories: o.memory } : {}),
        created: new Date().toISOString(),
      });
      saveTokens(file, tokens);
      out(`${token}\n`);
      writeStderr(`zpm: token '${name}' (${o.mode}) stored in ${file}; it is shown only once\n`);
    });
  group.command("list").description("list tokens (names, modes, memories; never the tokens)")
    .addOption(fileOpt())
    .action((o: { tokenFile?: string }) => {
      const tokens = loadTokens(o.tokenFile ?? defaultTokenFile());
      if (tokens.length === 0) out("No tokens.\n");
      for (const t of tokens) {
        out(`${t.name}\t${t.mode}\t${t.memories ? t.memories.join(",") : "*"}\t${t.created}\n`);
      }
    });
  group.command("revoke").description("revoke a token by name (running servers refuse it at once)")
    .argument("<name>", "the token's name")
    .addOption(fileOpt())
    .action((name: string, o: { tokenFile?: string }) => {
      const file = o.tokenFile ?? defaultTokenFile();
      const tokens = loadTokens(file);
      const kept = tokens.filter((t) => t.name !== name);
      if (kept.length === tokens.length) {
        writeStderr(`zpm token revoke: no token named '${name}'\n`);
        fail(1);
        return;
      }
      saveTokens(file, kept);
      out(`Revoked token '${name}'.\n`);
    });
}
