/**
 * Line splitting over blocking reads (the engine host's stdin): lines that span reads, characters split
 * between reads, empty lines, a final line without a newline and lines longer than the read buffer give
 * the same lines as splitting the whole text.
 */
import { deepStrictEqual } from "node:assert/strict";
import { readLinesSync, splitLines } from "../../src/io/lines.ts";

/** A reader that hands out `bytes` at most `size` bytes per read. */
function chunked(bytes: Uint8Array, size: number): (buf: Uint8Array) => number | null {
  let at = 0;
  return (buf) => {
    if (at >= bytes.length) return null;
    const n = Math.min(size, buf.length, bytes.length - at);
    buf.set(bytes.subarray(at, at + n));
    at += n;
    return n;
  };
}

const TEXTS = [
  "",
  "one line\n",
  "no newline at the end",
  "a\n\nb\n\n",
  "abcdef\ngh", // with 7-byte reads the last read is shorter than the one before it
  'héllo wörld 😀\n{"id":1,"op":"query","args":["ünïcödé ✓"]}\nlast 😀',
  `${"x".repeat(200_000)}\nshort\n${"é".repeat(70_000)}😀\n`,
];

Deno.test("readLinesSync: the same lines as splitting the whole text, whatever the read sizes", () => {
  for (const text of TEXTS) {
    const bytes = new TextEncoder().encode(text);
    // Tiny reads of the long text would only make the test slow: it has its own line for 4 KiB reads.
    for (const size of text.length > 1000 ? [4093, 1 << 16] : [1, 2, 3, 7, 4096]) {
      deepStrictEqual([...readLinesSync(chunked(bytes, size))], splitLines(text), `reads of ${size} bytes`);
    }
  }
});
