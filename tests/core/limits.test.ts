/** Limits from the environment: values the engine cannot honour are refused with the variable's name. */
import { strictEqual, throws } from "node:assert/strict";
import { deadlineFor, DEFAULT_LIMITS, limitsFromEnv } from "../../src/core/limits.ts";

function withEnv(vars: Record<string, string>, fn: () => void) {
  const old = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  try {
    for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
    fn();
  } finally {
    for (const [k, v] of Object.entries(old)) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
}

Deno.test("limits: environment overrides within range are taken; out-of-range values are refused by name", () => {
  withEnv({ ZPM_INFERENCE_LIMIT: "2147483647", ZPM_MAX_KB_MB: "64", ZPM_QUERY_TIMEOUT_MS: "250" }, () => {
    const l = limitsFromEnv();
    strictEqual(l.inferenceLimit, 2147483647);
    strictEqual(l.maxKbBytes, 64 * 1024 * 1024);
    strictEqual(l.timeoutMs, 250);
    strictEqual(l.defaultSolutions, DEFAULT_LIMITS.defaultSolutions);
  });
  withEnv(
    { ZPM_INFERENCE_LIMIT: "2147483648" },
    () => throws(() => limitsFromEnv(), /ZPM_INFERENCE_LIMIT.*at most/),
  );
  withEnv({ ZPM_MAX_KB_MB: "4096" }, () => throws(() => limitsFromEnv(), /ZPM_MAX_KB_MB/));
  withEnv({ ZPM_QUERY_TIMEOUT_MS: "0" }, () => throws(() => limitsFromEnv(), /ZPM_QUERY_TIMEOUT_MS/));
  withEnv({ ZPM_QUERY_TIMEOUT_MS: "abc" }, () => throws(() => limitsFromEnv(), /ZPM_QUERY_TIMEOUT_MS/));
});

Deno.test("deadlineFor: queries keep the configured deadline; bulk loads get more with their size", () => {
  const limits = { ...DEFAULT_LIMITS, timeoutMs: 5000 };
  strictEqual(deadlineFor(limits, "query", ["x".repeat(1 << 20), 10, 10]), 5000);
  strictEqual(deadlineFor(limits, "remember_many", ["a(1)"]), 5000 + 40);
  strictEqual(deadlineFor(limits, "import_read", ["x".repeat(2 << 20), "f.pl"]), 5000 + 2049 * 40);
  strictEqual(deadlineFor(limits, "import_read", ["x".repeat(200 << 20), "f.pl"]), 3_600_000);
  // An import chunk's deadline grows with the size of the file it came from (its only text is staged).
  strictEqual(deadlineFor(limits, "import_chunk", [3, 2 << 20]), 5000 + 2048 * 40);
});
