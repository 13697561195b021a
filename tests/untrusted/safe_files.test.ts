/**
 * Unit tests for the no-follow file helpers and the foreign-journal check: the parts of the
 * untrusted-project rules that are easier to pin down directly than through the CLI.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ensurePrivateDir, openNoFollow, UnsafePathError } from "../../src/io/safe_files.ts";
import { writeFileAtomic } from "../../src/io/files.ts";
import { foreignJournalReason } from "../../src/persistence/journal_foreign.ts";

const enc = new TextEncoder();

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "zpm-safe-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("openNoFollow: refuses links (also dangling ones and linked directories), creates 0600", async () => {
  await withDir(async (dir) => {
    const outside = join(dir, "outside.txt");
    await Deno.writeTextFile(outside, "keep");
    await Deno.symlink(outside, join(dir, "link"));
    await assert.rejects(
      openNoFollow(join(dir, "link"), { write: true, append: true, create: true }),
      UnsafePathError,
    );
    await Deno.symlink(join(dir, "nowhere.txt"), join(dir, "dangling"));
    await assert.rejects(
      openNoFollow(join(dir, "dangling"), { write: true, create: true }),
      /is a symbolic link/,
    );
    assert.equal(await Deno.lstat(join(dir, "nowhere.txt")).catch(() => null), null, "nothing created");
    await Deno.mkdir(join(dir, "real"));
    await Deno.symlink(join(dir, "real"), join(dir, "linkdir"));
    await assert.rejects(
      openNoFollow(join(dir, "linkdir", "f"), { write: true, create: true }),
      /linkdir is a symbolic link/,
    );
    await assert.rejects(openNoFollow(join(dir, "real"), { read: true }), /not a regular file/);
    await assert.rejects(openNoFollow(join(dir, "missing"), { read: true }), Deno.errors.NotFound);
    const f = await openNoFollow(join(dir, "new"), { write: true, create: true });
    f.close();
    assert.equal((await Deno.stat(join(dir, "new"))).mode! & 0o777, 0o600);
    assert.equal(await Deno.readTextFile(outside), "keep");
  });
});

Deno.test("writeFileAtomic refuses to replace a link; ensurePrivateDir refuses links on the way", async () => {
  await withDir(async (dir) => {
    const outside = join(dir, "outside.txt");
    await Deno.writeTextFile(outside, "keep");
    await Deno.symlink(outside, join(dir, "m.json"));
    await assert.rejects(writeFileAtomic(join(dir, "m.json"), "x"), /m\.json is a symbolic link/);
    assert.ok((await Deno.lstat(join(dir, "m.json"))).isSymlink);
    assert.equal(await Deno.readTextFile(outside), "keep");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["m.json", "outside.txt"]);
    await Deno.mkdir(join(dir, "elsewhere"));
    await Deno.symlink(join(dir, "elsewhere"), join(dir, "a"));
    await assert.rejects(ensurePrivateDir(join(dir, "a", "b", "c"), dir), /a is a symbolic link/);
    assert.deepEqual([...Deno.readDirSync(join(dir, "elsewhere"))], []);
    await ensurePrivateDir(join(dir, "x", "y"), dir);
    assert.equal((await Deno.stat(join(dir, "x", "y"))).mode! & 0o777, 0o700);
  });
});

Deno.test("foreignJournalReason: torn tails are journals, other content is not", () => {
  const none = new Uint8Array(0);
  const good = enc.encode(`{"seq":1,"ts":1,"records":[],"crc":"00000000"}\n`);
  for (const torn of [`{"seq":1,"ts":17`, `{"se`, `{`, `{"ts":1,"op":"ass`, "\0\0\0\0", '  \n{"seq":2']) {
    assert.equal(foreignJournalReason(none, enc.encode(torn)), null, JSON.stringify(torn));
  }
  for (
    const foreign of [
      "hello\n",
      "-----BEGIN KEY-----\n",
      '{"name":1}\n',
      "\u0001\u0002",
      '{"seq":1}\nplain text\n',
    ]
  ) {
    assert.match(
      foreignJournalReason(none, enc.encode(foreign)) ?? "",
      /not a journal line/,
      JSON.stringify(foreign),
    );
  }
  assert.equal(foreignJournalReason(good, enc.encode("garbage after a good line")), null);
  assert.match(foreignJournalReason(enc.encode("\n \n"), enc.encode("text")) ?? "", /line 1/);
});
