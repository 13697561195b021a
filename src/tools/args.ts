/** Argument extraction with upstream's conventions (§6.1): a wrongly typed value counts as missing. */
import { type Args, ToolError } from "./types.ts";

/** A string argument, or undefined when missing or not a string. */
export function optString(args: Args, name: string): string | undefined {
  const v = args[name];
  return typeof v === "string" ? v : undefined;
}

/** A required string argument; missing or non-string → InvalidArguments. */
export function reqString(args: Args, name: string): string {
  const v = optString(args, name);
  if (v === undefined) {
    const got = args[name] === undefined ? "it is missing" : `got ${typeName(args[name])}`;
    throw new ToolError("InvalidArguments", `'${name}' must be a string (${got})`);
  }
  return v;
}

/** An optional integer argument within bounds; a non-integer value → InvalidArguments. */
export function optInteger(
  args: Args,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const v = args[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new ToolError("InvalidArguments", `'${name}' must be an integer (got ${typeName(v)})`);
  }
  if (v < min || v > max) {
    throw new ToolError("InvalidArguments", `'${name}' must be between ${min} and ${max} (got ${v})`);
  }
  return v;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/** Text as the user gave it, without surrounding whitespace and one trailing '.' (for messages). */
export function display(text: string): string {
  const t = text.trim();
  return t.endsWith(".") ? t.slice(0, -1).trimEnd() : t;
}

/** `[a-z][A-Za-z0-9_]*` (upstream isValidAtomName). */
export function isAtomName(s: string): boolean {
  return /^[a-z][A-Za-z0-9_]*$/.test(s);
}
