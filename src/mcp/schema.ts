/** JSON Schemas and annotations for `tools/list`, generated from the registry. */
import { type Param, paramsOf, type ToolSpec } from "../tools/types.ts";

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

/** A `tools/list` entry. */
export function toolListing(t: ToolSpec) {
  return {
    name: t.name,
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
  };
}
