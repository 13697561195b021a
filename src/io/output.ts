/** Synchronous, complete writes to stdout, stderr or another writer (command output, diagnostics, frames). */

/** Something that writes bytes synchronously and may write fewer than asked. */
export interface SyncWriter {
  writeSync(p: Uint8Array): number;
}

const encoder = new TextEncoder();

/** Write all of `data` to `stream`, looping over short writes; synchronous so lines never interleave. */
export function writeText(stream: SyncWriter, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  for (let off = 0; off < bytes.length;) off += stream.writeSync(bytes.subarray(off));
}

/** Write all of `text` to stdout. */
export function writeStdout(text: string): void {
  writeText(Deno.stdout, text);
}

/** Write all of `text` to stderr. */
export function writeStderr(text: string): void {
  writeText(Deno.stderr, text);
}
