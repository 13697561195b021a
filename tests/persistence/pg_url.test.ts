/** Store URLs: the password never reaches the manifest or a message; pgpass lookup follows libpq. */
import { strictEqual, throws } from "node:assert/strict";
import { parseManifest, serializeManifest } from "../../src/project/manifest.ts";
import { pgpassLookup, redact, storeUrlWithoutPassword } from "../../src/persistence/pg_url.ts";

Deno.test("pg url: the recorded URL has no password; malformed URLs are refused without echoing secrets", () => {
  strictEqual(storeUrlWithoutPassword("postgres://zpm:pw@db:5433/team"), "postgres://zpm@db:5433/team");
  strictEqual(storeUrlWithoutPassword("postgresql://zpm@db/team"), "postgres://zpm@db/team");
  throws(() => storeUrlWithoutPassword("mysql://a:b@c/d"), (e: Error) => !e.message.includes(":b@"));
});

Deno.test("pg url: redact hides passwords in URLs and key=value strings", () => {
  strictEqual(redact("failed at postgres://u:s3cret@h/db now"), "failed at postgres://u:***@h/db now");
  strictEqual(redact("host=h password=s3cret user=u"), "host=h password=*** user=u");
  strictEqual(redact("postgres://u@h/db"), "postgres://u@h/db");
});

Deno.test("pg url: pgpass lines match host, port, database and user, with * and escapes", () => {
  const text = "# comment\nother:5432:*:zpm:nope\ndb.example:*:team:zpm:pa\\:ss\n*:*:*:*:fallback\n";
  const c = { host: "db.example", port: "5432", database: "team", user: "zpm" };
  strictEqual(pgpassLookup(text, c), "pa:ss");
  strictEqual(pgpassLookup(text, { ...c, host: "elsewhere" }), "fallback");
  strictEqual(pgpassLookup("", c), undefined);
});

Deno.test("manifest: a store URL round-trips; one carrying a password is dropped, not kept", () => {
  const text = JSON.stringify({
    version: 1,
    mounts: [
      { name: "team", path: ".zpm/kb/team", scope: "project", mode: "rw", store: "postgres://zpm@db/team" },
      { name: "leak", path: ".zpm/kb/leak", scope: "project", mode: "rw", store: "postgres://zpm:pw@db/x" },
    ],
  });
  const entries = parseManifest(text);
  strictEqual(entries[0].store, "postgres://zpm@db/team");
  strictEqual(entries[1].store, undefined);
  strictEqual(serializeManifest(entries).includes(":pw@"), false);
  strictEqual(parseManifest(serializeManifest(entries))[0].store, "postgres://zpm@db/team");
});
