/**
 * The guard against postgres.js's own connection errors (src/persistence/pg_errors.ts): an error or
 * an unhandled rejection raised inside the client's connection code is reported once on stderr and the
 * process goes on; any other uncaught error still ends it.
 */
import { match, strictEqual } from "node:assert/strict";

const GUARD = new URL("../../src/persistence/pg_errors.ts", import.meta.url).href;

/** Run a script that installs the guard and then does `body`; its exit code and output. */
async function runGuarded(body: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    file,
    `import { guardClientBug } from "${GUARD}";
guardClientBug();
function clientError(message: string): Error {
  const e = new TypeError(message);
  e.stack = "TypeError: " + message + "\\n    at write (file:///x/node_modules/postgres/src/connection.js:261:14)";
  return e;
}
${body}
await new Promise((r) => setTimeout(r, 50));
console.log("alive");
`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-config", file],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("pg guard: the client's own connection errors, thrown or rejected, do not end the process", async () => {
  const r = await runGuarded(`
setTimeout(() => { throw clientError("Cannot read properties of null (reading 'write')"); });
Promise.reject(clientError("write CONNECTION_ENDED"));
Promise.reject(clientError("write CONNECTION_ENDED"));
`);
  strictEqual(r.code, 0, r.stderr);
  strictEqual(r.stdout, "alive\n");
  match(r.stderr, /ignored an error inside the PostgreSQL client.*reading 'write'/);
  strictEqual(r.stderr.match(/CONNECTION_ENDED/g)?.length, 1, "each message reported once");
});

Deno.test("pg guard: any other uncaught error or unhandled rejection still ends the process", async () => {
  for (
    const body of [
      `setTimeout(() => { throw new TypeError("ours"); });`,
      `Promise.reject(new Error("ours"));`,
    ]
  ) {
    const r = await runGuarded(body);
    strictEqual(r.code, 1, `${body}: ${r.stdout}`);
    match(r.stderr, /ours/);
  }
});
