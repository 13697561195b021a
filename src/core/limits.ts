/** Resource limits applied to every engine call, with their environment overrides. */

/** Limits for one process. */
export interface Limits {
  /** Hard wall-clock deadline per call in ms (serve only; ZPM_QUERY_TIMEOUT_MS). */
  timeoutMs: number;
  /** Inference budget per call (ZPM_INFERENCE_LIMIT). */
  inferenceLimit: number;
  /** Default number of solutions returned by query_logic. */
  defaultSolutions: number;
  /** Largest `limit` query_logic accepts. */
  maxSolutions: number;
  /** Engine memory above which new knowledge is refused (ZPM_MAX_KB_MB). */
  maxKbBytes: number;
}

/** Built-in defaults. */
export const DEFAULT_LIMITS: Limits = {
  timeoutMs: 5000,
  inferenceLimit: 10_000_000,
  defaultSolutions: 100,
  maxSolutions: 10_000,
  maxKbBytes: 512 * 1024 * 1024,
};

function positiveInt(name: string, raw: string | undefined, max: number): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0 || n > max) {
    throw new Error(`${name} must be a positive integer of at most ${max}, got '${raw}'`);
  }
  return n;
}

/** The engine counts inferences in a 32-bit integer; larger limits make every query fail. */
const MAX_INFERENCE_LIMIT = 2 ** 31 - 1;
/** The engine's heap is 2 GiB (WASM32), so a larger knowledge-base cap could never apply. */
const MAX_KB_MB = 2047;
/** One hour: longer deadlines are a mistake, not a setting. */
const MAX_TIMEOUT_MS = 3_600_000;

/** Defaults overridden by the environment (and then by explicit flags). */
export function limitsFromEnv(overrides: Partial<Limits> = {}): Limits {
  const env = (k: string) => Deno.env.get(k);
  const timeoutMs = positiveInt("ZPM_QUERY_TIMEOUT_MS", env("ZPM_QUERY_TIMEOUT_MS"), MAX_TIMEOUT_MS);
  const inference = positiveInt("ZPM_INFERENCE_LIMIT", env("ZPM_INFERENCE_LIMIT"), MAX_INFERENCE_LIMIT);
  const kbMb = positiveInt("ZPM_MAX_KB_MB", env("ZPM_MAX_KB_MB"), MAX_KB_MB);
  return {
    ...DEFAULT_LIMITS,
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(inference ? { inferenceLimit: inference } : {}),
    ...(kbMb ? { maxKbBytes: kbMb * 1024 * 1024 } : {}),
    ...overrides,
  };
}

/** Characters of text among `args`. */
function textChars(args: readonly unknown[]): number {
  let chars = 0;
  for (const a of args) if (typeof a === "string") chars += a.length;
  return chars;
}

/**
 * Operations whose work is bounded by the size of their text (parsing and asserting, no user goals),
 * with that size in characters: the text they are given, or for an import chunk (whose clauses the
 * engine holds) the size of the file they came from.
 */
const BULK_OPS: Readonly<Record<string, (args: readonly unknown[]) => number>> = {
  remember_many: textChars,
  import_read: textChars,
  import_chunk: (args) => typeof args[1] === "number" ? args[1] : 0,
};

/** Whether `op` is a bulk operation: its work is bounded by the size of its text. */
export function isBulkOp(op: string): boolean {
  return Object.hasOwn(BULK_OPS, op);
}

/** Extra deadline per KiB of text for a bulk operation (a hang bound; 100k facts parse in about 2 s). */
const BULK_MS_PER_KIB = 40;

/**
 * The deadline of one engine call: `timeoutMs`, stretched for a bulk operation (remember_facts, an
 * import) by the size of its text, so a large load is not cut off by the deadline meant for queries.
 */
export function deadlineFor(limits: Limits, op: string, args: readonly unknown[]): number {
  if (!isBulkOp(op)) return limits.timeoutMs;
  const chars = BULK_OPS[op](args);
  return Math.min(MAX_TIMEOUT_MS, limits.timeoutMs + Math.ceil(chars / 1024) * BULK_MS_PER_KIB);
}
