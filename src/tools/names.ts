/**
 * The CLI's tool sub-commands and whether each only reads, known without loading the registry (the
 * warm-engine client must decide in a few milliseconds). tests/daemon/daemon.test.ts checks this
 * list against `TOOLS` in registry.ts, so a new tool cannot be forgotten here.
 */

/** Tool sub-command name (kebab-case) → true when the tool is read-only (its `readOnly` hint). */
export const TOOL_COMMANDS: ReadonlyMap<string, boolean> = new Map([
  ["echo", true],
  ["remember-fact", false],
  ["define-rule", false],
  ["query-logic", true],
  ["trace-dependency", true],
  ["verify-consistency", true],
  ["explain-why", true],
  ["get-knowledge-schema", true],
  ["forget-fact", false],
  ["clear-context", false],
  ["update-fact", false],
  ["upsert-fact", false],
  ["assume-fact", false],
  ["retract-assumption", false],
  ["get-belief-status", true],
  ["get-justification", true],
  ["list-assumptions", true],
  ["retract-assumptions", false],
  ["save-snapshot", false],
  ["restore-snapshot", false],
  ["list-snapshots", true],
  ["get-persistence-status", true],
  ["create-memory", false],
  ["list-memories", true],
  ["mount-memory", false],
  ["unmount-memory", false],
  ["find-predicate-references", true],
  ["rename-predicate", false],
  ["get-kb-overview", true],
  ["remember-facts", false],
  ["export-knowledge", true],
]);
