/** Synchronous, complete writes of text to stdout or stderr (progress lines and command output). */

/** Write all of `text` to `stream`, looping over short writes; synchronous so lines never interleave. */
export function writeText(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let off = 0; off < bytes.length;) off += stream.writeSync(bytes.subarray(off));
}
