/** Diagnostics: one line to stderr (or the warm engine's capture, see output.ts), and to every tap (e.g. MCP log notifications). */
import { writeStderr } from "./output.ts";

const logTaps = new Set<(message: string) => void>();

/** Write a diagnostic line to stderr (and to every tap, e.g. MCP log notifications). */
export function log(message: string): void {
  writeStderr(message + "\n");
  for (const tap of logTaps) tap(message);
}

/** Also pass every diagnostic line to `tap`; returns the function that removes it. */
export function onLog(tap: (message: string) => void): () => void {
  logTaps.add(tap);
  return () => logTaps.delete(tap);
}
