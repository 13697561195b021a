/** Rendering a tool result on the command line. */
import type { ToolResult } from "../tools/types.ts";

/** Output format of tool sub-commands. */
export type Format = "text" | "json";

/** Text to print on stdout for a result. */
export function renderResult(r: ToolResult, format: Format): string {
  if (format === "json") return JSON.stringify(r.texts) + "\n";
  const body = r.texts.map((t) => t + "\n").join("");
  return r.isError ? `ERROR: ${body}` : body;
}
