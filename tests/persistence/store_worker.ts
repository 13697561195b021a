/**
 * Subprocess for the journal-store contract suite: `append <spec> <worker-id> <count>` commits
 * `count` transactions of two records each, each under the exclusive lock with seq = last seq + 1;
 * `head <spec>` prints the store's head as JSON.
 */
import { closeStores, openStore } from "./store_backends.ts";

const [mode, spec, a, b] = Deno.args;
const store = openStore(spec);

if (mode === "append") {
  const id = Number(a);
  for (let i = 0; i < Number(b); i++) {
    await store.withLock(true, async () => {
      const { scan } = await store.read(0);
      if (scan.damage) throw new Error(`worker ${id} saw damage: ${scan.damage.reason}`);
      const seq = (scan.transactions.at(-1)?.seq ?? 0) + 1;
      await store.append({
        seq,
        ts: 1,
        records: [{ op: "assert", clause: `w(${id}, ${i})` }, { op: "assert", clause: `v(${id}, ${i})` }],
      });
    });
  }
} else if (mode === "head") {
  console.log(JSON.stringify(await store.head()));
} else {
  throw new Error(`unknown mode ${mode}`);
}
await closeStores();
