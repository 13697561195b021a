/**
 * Telling a torn journal tail from a file that is not a journal at all. A crash during an append
 * leaves the start of one journal line (or zero bytes the file system had not filled yet) at the
 * end of `journal.wal`; that is cut. A file whose content is something else (a document, a key,
 * a database planted in a repository's `.zpm/`) is never cut: zpm refuses to touch it.
 *
 * @module
 */

/**
 * journal.wal holds something that is not a zpm (or upstream) journal: it is never cut or
 * appended to. The message names the file, why, and what to do.
 */
export class ForeignJournalError extends Error {
  /** Build the error for `path`; `reason` says what was found instead of journal lines. */
  constructor(readonly path: string, readonly reason: string) {
    super(
      `${path} is not a zpm journal (${reason}); zpm will not cut, change or append to it. ` +
        "Nothing was changed. If the file is yours, move it out of the memory directory; " +
        "if it came with the repository and is not needed, delete it. Then retry (`zpm doctor` explains).",
    );
    this.name = "ForeignJournalError";
  }
}

const encoder = new TextEncoder();
/** How our lines start, and how upstream (Zig zpm) lines start. */
const LINE_STARTS = [encoder.encode(`{"seq":`), encoder.encode(`{"ts":`)];

function isBlank(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;
}

/** True when `line` (trimmed) could be the start of a zpm or upstream journal line, or is all NUL bytes. */
function looksLikeJournalLine(line: Uint8Array): boolean {
  if (line.every((b) => b === 0)) return true;
  return LINE_STARTS.some((start) => {
    const n = Math.min(start.length, line.length);
    for (let i = 0; i < n; i++) if (line[i] !== start[i]) return false;
    return true;
  });
}

function trim(line: Uint8Array): Uint8Array {
  let a = 0;
  let b = line.length;
  while (a < b && isBlank(line[a])) a++;
  while (b > a && isBlank(line[b - 1])) b--;
  return line.subarray(a, b);
}

/**
 * Why the bytes about to be cut from a journal are not a torn journal tail, or null when they may
 * be one. `head` is everything before the cut (the good part), `tail` the bytes to cut. A journal
 * with any content before the cut is a journal (its good lines parsed); otherwise every non-blank
 * line of the tail must start like a zpm or upstream journal line (or be zero bytes).
 */
export function foreignJournalReason(head: Uint8Array, tail: Uint8Array): string | null {
  if (!head.every(isBlank)) return null;
  let lines = 0;
  let start = 0;
  for (let i = 0; i <= tail.length; i++) {
    if (i < tail.length && tail[i] !== 0x0a) continue;
    const line = trim(tail.subarray(start, i));
    start = i + 1;
    if (line.length === 0) continue;
    lines++;
    if (!looksLikeJournalLine(line)) {
      return `line ${lines} of its content is not a journal line and no line of it is a valid transaction`;
    }
  }
  return null;
}
