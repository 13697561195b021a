/** JSON Schemas and annotations for `tools/list`, generated from the registry. */
import { type Param, paramsOf, type ToolOutput, type ToolSpec } from "../tools/types.ts";

/** The JSON Schema of one argument. */
export function paramSchema(p: Param): Record<string, unknown> {
  const s: Record<string, unknown> = p.type === "string[]"
    ? { type: "array", items: { type: "string" }, description: p.description }
    : { type: p.type, description: p.description };
  if (p.maxItems !== undefined) s.maxItems = p.maxItems;
  if (p.enum) s.enum = p.enum;
  if (p.minimum !== undefined) s.minimum = p.minimum;
  if (p.maximum !== undefined) s.maximum = p.maximum;
  return s;
}

/** A tool's default title: its name in words, first letter capital ("remember_fact" → "Remember fact"). */
export function toolTitle(t: ToolSpec): string {
  if (t.title) return t.title;
  const words = t.name.replaceAll("_", " ");
  return words[0].toUpperCase() + words.slice(1);
}

/** The MCP `outputSchema` of a JSON answer (arrays are wrapped in `{ result }`, see `structuredOf`). */
export function outputSchema(o: ToolOutput): Record<string, unknown> {
  if (o.kind === "array") {
    return {
      type: "object",
      properties: { result: { type: "array", ...(o.items ? { items: o.items } : {}) } },
      required: ["result"],
    };
  }
  return {
    type: "object",
    ...(o.properties ? { properties: o.properties } : {}),
    ...(o.required ? { required: o.required } : {}),
  };
}

/**
 * The `structuredContent` of a successful answer whose first text block is JSON (`undefined` when the
 * tool declares no JSON output or the text is not the declared shape).
 */
export function structuredOf(
  t: ToolSpec,
  firstText: string | undefined,
): Record<string, unknown> | undefined {
  if (!t.output || firstText === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(firstText);
  } catch {
    return undefined;
  }
  if (t.output.kind === "array") return Array.isArray(value) ? { result: value } : undefined;
  return value && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/** A `tools/list` entry. */
export function toolListing(t: ToolSpec) {
  return {
    name: t.name,
    title: toolTitle(t),
    description: t.description,
    inputSchema: {
      type: "object" as const,
      properties: Object.fromEntries(paramsOf(t).map((p) => [p.name, paramSchema(p)])),
      required: paramsOf(t).filter((p) => p.required).map((p) => p.name),
      additionalProperties: false,
    },
    annotations: {
      readOnlyHint: t.hints.readOnly,
      destructiveHint: t.hints.destructive,
      idempotentHint: t.hints.idempotent,
      openWorldHint: false,
    },
    ...(t.output ? { outputSchema: outputSchema(t.output) } : {}),
  };
}
