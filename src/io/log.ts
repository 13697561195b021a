/**
 * Diagnostics and command output: one line to stderr, and to every tap (e.g. MCP log notifications).
 * The warm engine (src/daemon/) captures a command's stdout and stderr text to send it to the CLI
 * client that asked; everything else writes to the process's own streams.
 */

const logTaps = new Set<(message: string) => void>();

/** Where command output goes instead of the process's streams (see {@link captureOutput}). */
export interface OutputCapture {
  out(text: string): void;
  err(text: string): void;
}

let capture: OutputCapture | null = null;

/** Send {@link writeStdout}/{@link writeStderr} text to `c` (null: back to the process's streams). */
export function captureOutput(c: OutputCapture | null): void {
  capture = c;
}

function writeAll(stream: typeof Deno.stdout | typeof Deno.stderr, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) off += stream.writeSync(bytes.subarray(off));
}

/** Write command output (all of it) to stdout. */
export function writeStdout(text: string): void {
  if (capture) capture.out(text);
  else writeAll(Deno.stdout, text);
}

/** Write text (all of it) to stderr. */
export function writeStderr(text: string): void {
  if (capture) capture.err(text);
  else writeAll(Deno.stderr, text);
}

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
