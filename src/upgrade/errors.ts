/** The failure type of `zpm upgrade` and the wording of low-level causes in its messages. */

/** A failure of `zpm upgrade` whose message is meant for the user, printed as `ERROR: <message>`. */
export class UpgradeError extends Error {
  override name = "UpgradeError";
}

/**
 * A short, human cause for a file-system or network error: "no such file or directory", "permission
 * denied", "connection refused", "host name not found (…)", else the innermost error message.
 */
export function reason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (!(e instanceof Error)) return String(e);
  // fetch throws "fetch failed" whose cause says "error sending request for url (…): client error
  // (Connect): tcp connect error: Connection refused (os error 111)": keep the last, useful part.
  let message = e.message;
  for (let c: unknown = e.cause; c instanceof Error; c = c.cause) message = c.message;
  message = message.replace(/ \(os error \d+\)$/, "");
  if (/dns error/i.test(message)) return `host name not found (${message.replace(/^.*: /, "")})`;
  const m = /: ([^:]*(?:refused|reset|timed out|unreachable|closed)[^:]*)$/i.exec(message);
  return m ? m[1].toLowerCase() : message;
}
