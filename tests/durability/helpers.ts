/** Shared helpers for durability tests. */
import type { McpClient } from "../helpers/zpm.ts";

/** Every clause of the given predicates plus zpm_source/2, as sorted text: a fingerprint of the state. */
export async function fingerprint(mcp: McpClient, preds: string[]): Promise<string[]> {
  const all = [...preds, "zpm_source/2", "tms_justification/2"];
  const goal = `member(F/A, [${
    all.join(", ")
  }]), functor(H, F, A), clause(H, B), copy_term((H:-B), C), numbervars(C, 0, _), format(atom(T), "~W", [C, [quoted(true), numbervars(true)]])`;
  const r = await mcp.call("query_logic", { goal, limit: 10000 });
  if (r.isError) throw new Error(r.content[0].text);
  const sols = JSON.parse(r.content[0].text) as { T: string }[];
  return sols.map((s) => s.T).sort();
}

/** Sleep. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
