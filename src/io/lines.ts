/** Splits text and byte streams into lines (no jsr: TextLineStream available on our build machines). */

/** Yields each "\n"-terminated line (without the newline), then any final unterminated text. */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
  buf += decoder.decode();
  if (buf.length > 0) yield buf;
}

/**
 * `readLines` over blocking reads: `read` fills the buffer it is given and returns the number of bytes,
 * or null at the end (as `Deno.FsFile.readSync`). Yields each "\n"-terminated line, then any final
 * unterminated text.
 */
export function* readLinesSync(read: (buf: Uint8Array) => number | null): Generator<string> {
  const buf = new Uint8Array(1 << 16);
  const decoder = new TextDecoder();
  let parts: string[] = [];
  for (;;) {
    const n = read(buf);
    if (n === null) break;
    const got = buf.subarray(0, n); // search only what this read filled in, not older bytes after it
    let from = 0;
    for (let i = got.indexOf(10); i >= 0; i = got.indexOf(10, from)) {
      parts.push(decoder.decode(got.subarray(from, i)));
      yield parts.join("");
      parts = [];
      from = i + 1;
    }
    if (from < n) parts.push(decoder.decode(got.subarray(from), { stream: true }));
  }
  const rest = parts.join("") + decoder.decode();
  if (rest.length > 0) yield rest;
}

/**
 * The lines of a whole text, by the same rule as `readLines`: each "\n"-terminated line (without the
 * newline), then any final unterminated text; so "a\nb\n" and "a\nb" both give ["a", "b"] and "" gives [].
 */
export function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}
