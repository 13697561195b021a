/** The journal-store contract suite against the file store. */
import { journalStoreContract } from "./journal_store_contract.ts";

journalStoreContract({
  name: "file",
  async fresh() {
    const dir = await Deno.makeTempDir({ prefix: "zpm-store-" });
    return { spec: `file:${dir}`, cleanup: () => Deno.remove(dir, { recursive: true }) };
  },
  async tearTail(spec) {
    // A crash after part of a transaction reached the file: half a line, no newline.
    const path = `${spec.slice("file:".length)}/journal.wal`;
    await Deno.writeTextFile(path, '{"seq":3,"ts":1,"records":[{"op":"assert","cl', { append: true });
  },
});
