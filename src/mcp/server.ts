/** `zpm serve`: the MCP server over stdio, generated from the tool registry. */
// @deno-types="@modelcontextprotocol/sdk/server/index"
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
// @deno-types="@modelcontextprotocol/sdk/types"
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import type { Project } from "../project/project.ts";
import { callTool, findTool, TOOLS } from "../tools/registry.ts";
import { guardTransport } from "./request_guard.ts";
import { toolListing } from "./schema.ts";
import { StdioLineTransport } from "./stdio_transport.ts";

/** A server that cannot open its project: it answers every tool call with `error` (e.g. run `zpm init`). */
export interface Unavailable {
  version: string;
  error: string;
}

/**
 * Serve MCP on stdin/stdout until EOF (for an `Unavailable` project, every tool call answers with its error); resolves after every pending request was answered. Another transport
 * reuses the same semantics by connecting the server to `guardTransport(itsTransport)`.
 */
export async function serveStdio(project: Project | Unavailable): Promise<void> {
  const server = new Server(
    {
      name: "zpm",
      version: project.version,
      title: "zpm",
    },
    {
      capabilities: { tools: { listChanged: false } },
      instructions:
        "zpm is a durable Prolog knowledge base. Store facts with remember_fact, rules with define_rule, and ask with query_logic.",
    },
  );
  let queue: Promise<unknown> = Promise.resolve();
  const listing = TOOLS.map(toolListing);
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listing }));
  server.setRequestHandler(
    CallToolRequestSchema,
    (req: { params: { name: string; arguments?: unknown } }) => {
      const tool = findTool(req.params.name);
      if (!tool) throw new McpError(ErrorCode.InvalidParams, `Tool not found: ${req.params.name}`);
      if ("error" in project) {
        return { content: [{ type: "text" as const, text: project.error }], isError: true };
      }
      // One call at a time: the engine and the journal see calls in arrival order.
      const run = queue.then(() => callTool(tool, { project }, req.params.arguments));
      queue = run.catch(() => {});
      return run.then((r) => ({
        content: r.texts.map((text) => ({ type: "text" as const, text })),
        isError: r.isError,
      }));
    },
  );
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  // Framing from the stdio transport, MCP request semantics from the guard (shared with other transports).
  const transport = guardTransport(new StdioLineTransport());
  transport.onclose = () => resolve_();
  let resolve_: () => void = () => {};
  const eof = new Promise<void>((r) => (resolve_ = r));
  await server.connect(transport);
  await Promise.race([eof, closed]);
  await queue;
}
