/**
 * Synchronous, complete writes to stdout, stderr or another writer (command output, diagnostics, frames).
 * The warm engine (src/daemon/) captures a command's stdout and stderr text to send it to the CLI client
 * that asked ({@link captureOutput}); everything else writes to the process's own streams.
 */

/** Something that writes bytes synchronously and may write fewer than asked. */
export interface SyncWriter {
  writeSync(p: Uint8Array): number;
}

/** Where command output goes instead of the process's streams (see {@link captureOutput}). */
export interface OutputCapture {
  out(text: string): void;
  err(text: string): void;
}

const encoder = new TextEncoder();
let capture: OutputCapture | null = null;

/** Send {@link writeStdout}/{@link writeStderr} text to `c` (null: back to the process's streams). */
export function captureOutput(c: OutputCapture | null): void {
  capture = c;
}

/** Write all of `data` to `stream`, looping over short writes; synchronous so lines never interleave. */
export function writeText(stream: SyncWriter, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  for (let off = 0; off < bytes.length;) off += stream.writeSync(bytes.subarray(off));
}

/** Write command output (all of it) to stdout. */
export function writeStdout(text: string): void {
  if (capture) capture.out(text);
  else writeText(Deno.stdout, text);
}

/** Write text (all of it) to stderr. */
export function writeStderr(text: string): void {
  if (capture) capture.err(text);
  else writeText(Deno.stderr, text);
}
