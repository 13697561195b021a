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
 * The lines of a whole text, by the same rule as `readLines`: each "\n"-terminated line (without the
 * newline), then any final unterminated text; so "a\nb\n" and "a\nb" both give ["a", "b"] and "" gives [].
 */
export function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}
