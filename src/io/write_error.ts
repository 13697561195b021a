/**
 * The error type of a failed durable write, shared by every file helper.
 *
 * @module
 */

/** A durable write failed; the message names the path, the OS error and what to do. */
export class JournalWriteError extends Error {
  /** Wrap a write failure; pass the OS error as `cause`. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "JournalWriteError";
  }
}

/** `Name: message` of an error (or its string form), for messages that quote an OS error. */
export function errText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}
