/** Argument checking driven by each tool's declared params, with upstream's conventions. */
import { type Args, invalid, type Param, refuse, type StringCheck, type Validated } from "./types.ts";

type Value = string | number | boolean | readonly string[] | undefined;

/**
 * Check raw arguments against `params` and return the values handlers see. First, parameter by
 * parameter in declared order: types, required, enums, integer bounds and InvalidArguments checks;
 * then the plain-message checks in declared order. Throws `ToolFailure` on the first refusal.
 */
export function validate(params: readonly Param[], raw: Args): Validated {
  const out: Record<string, Value> = {};
  const later: (() => void)[] = [];
  const names = params.map((p) => p.name);
  for (const key of Object.keys(raw)) {
    if (!names.includes(key)) throw invalid(unknownArgument(key, names));
  }
  for (const p of params) {
    const v = raw[p.name];
    if (p.type === "string") out[p.name] = stringValue(p, v, later);
    else if (p.type === "integer") out[p.name] = integerValue(p, v);
    else if (p.type === "string[]") out[p.name] = stringsValue(p, v);
    else out[p.name] = booleanValue(p, v);
  }
  for (const check of later) check();
  return out;
}

/** `unknown argument 'x' (did you mean 'y'?)`, or the list of declared names when none is close. */
function unknownArgument(key: string, names: readonly string[]): string {
  let best = "";
  let bestD = Infinity;
  for (const n of names) {
    const d = editDistance(key.toLowerCase(), n);
    if (d < bestD) [best, bestD] = [n, d];
  }
  if (best !== "" && bestD <= Math.max(2, Math.floor(best.length / 3))) {
    return `unknown argument '${key}' (did you mean '${best}'?)`;
  }
  const list = names.length ? names.map((n) => `'${n}'`).join(", ") : "none";
  return `unknown argument '${key}' (this tool takes: ${list})`;
}

/** Levenshtein distance (names are short). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** A boolean: true/false (or the strings "true"/"false"); anything else is refused. */
function booleanValue(p: Param, v: unknown): Value {
  if (v === undefined || v === null) return p.default;
  if (v === true || v === "true") return true;
  if (v === false || v === "false") return false;
  const shown = typeof v === "string" ? `'${v}'` : typeName(v);
  throw invalid(`'${p.name}' must be a boolean, true or false (got ${shown})`);
}

function stringValue(p: Param, v: unknown, later: (() => void)[]): Value {
  if (typeof v !== "string") {
    if (!p.required) return p.default;
    const got = v === undefined ? "it is missing" : `got ${typeName(v)}`;
    throw invalid(p.typeError ?? `'${p.name}' must be a string (${got})`);
  }
  if (p.enum) {
    if (v === "") return p.default;
    if (!p.enum.includes(v)) {
      const outside = p.outsideEnum;
      if (outside === "default") return p.default;
      if (outside) {
        later.push(() => {
          throw refuse(outside(v));
        });
      } else throw invalid(`'${p.name}' must be one of ${p.enum.join(", ")} (got '${v}')`);
    }
  }
  for (const c of p.checks ?? []) {
    if (c.channel === "InvalidArguments") {
      if (!c.ok(v)) throw invalid(c.text(v));
    } else {
      later.push(() => {
        if (!c.ok(v)) throw refuse(c.text(v));
      });
    }
  }
  return v;
}

function stringsValue(p: Param, v: unknown): Value {
  if (v === undefined || v === null) {
    if (p.required) throw invalid(`'${p.name}' must be an array of strings (it is missing)`);
    return undefined;
  }
  if (!Array.isArray(v)) throw invalid(`'${p.name}' must be an array of strings (got ${typeName(v)})`);
  const bad = v.findIndex((x) => typeof x !== "string");
  if (bad >= 0) throw invalid(`'${p.name}[${bad}]' must be a string (got ${typeName(v[bad])})`);
  if (p.required && v.length === 0) throw invalid(`'${p.name}' must not be empty`);
  if (p.maxItems !== undefined && v.length > p.maxItems) {
    throw invalid(`'${p.name}' has ${v.length} items; at most ${p.maxItems} are accepted per call`);
  }
  return v as string[];
}

function integerValue(p: Param, v: unknown): Value {
  if (v === undefined || v === null) {
    if (p.required && p.default === undefined) {
      throw invalid(`'${p.name}' must be an integer (it is missing)`);
    }
    return p.default;
  }
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw invalid(`'${p.name}' must be an integer (got ${typeName(v)})`);
  }
  const min = p.minimum ?? -Infinity;
  const max = p.maximum ?? Infinity;
  if (v < min || v > max) throw invalid(`'${p.name}' must be between ${min} and ${max} (got ${v})`);
  return v;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/** Refuse a blank (empty or whitespace-only) string with the tool's plain message. */
export function notBlank(text: string): StringCheck {
  return { channel: "message", ok: (v) => v.trim() !== "", text: () => text };
}

/** Refuse a string containing rule syntax (`:-`) with the tool's plain message. */
export function noRule(text: string): StringCheck {
  return { channel: "message", ok: (v) => !v.includes(":-"), text: () => text };
}

/** Refuse, as InvalidArguments, a string that is not an atom name (`isAtomName`). */
export function atomName(text: (value: string) => string): StringCheck {
  return { channel: "InvalidArguments", ok: isAtomName, text };
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
