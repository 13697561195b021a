/** `zpm serve`: the MCP server over stdio, built by `createServer` like every other transport. */
// @deno-types="@modelcontextprotocol/sdk/server/index"
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
// @deno-types="@modelcontextprotocol/sdk/types"
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Project } from "../project/project.ts";
import { onLog } from "../io/log.ts";
import { TOOLS } from "../tools/registry.ts";
import { guardTransport } from "./request_guard.ts";
import { toolListing } from "./schema.ts";
import { createServer, sharedState } from "./server_core.ts";
import { StdioLineTransport } from "./stdio_transport.ts";

/** A server that cannot open its project: it answers every tool call with `error` (e.g. run `zpm init`). */
export interface Unavailable {
  version: string;
  error: string;
}

/**
 * Serve MCP on stdin/stdout until EOF; resolves after every pending request was answered. For an
 * `Unavailable` project the handshake and `tools/list` still work and every tool call answers with its
 * error, so the message reaches the user through the client. Another transport reuses the same
 * semantics by connecting a `createServer` session to `guardTransport(itsTransport)`.
 */
export async function serveStdio(project: Project | Unavailable): Promise<void> {
  if ("error" in project) return await serveOver(unavailableServer(project), async () => {});
  const shared = sharedState(project);
  const untap = onLog((line) => shared.logs.forward(line));
  await serveOver(createServer(shared), async () => {
    await shared.queue.drain();
    shared.watcher.stop();
    untap();
  });
}

/** Connect `server` to stdin/stdout and wait for EOF or close, then run `done`. */
async function serveOver(server: Server, done: () => Promise<void>): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    const prior = server.onclose;
    server.onclose = () => {
      prior?.();
      resolve();
    };
  });
  // Framing from the stdio transport, MCP request semantics from the guard (shared with other transports).
  const transport = guardTransport(new StdioLineTransport());
  let resolve_: () => void = () => {};
  const eof = new Promise<void>((r) => (resolve_ = r));
  transport.onclose = () => resolve_();
  await server.connect(transport);
  await Promise.race([eof, closed]);
  await done();
}

/** A server with the tool list whose every tool call answers with the project's error. */
function unavailableServer(u: Unavailable): Server {
  const server = new Server(
    { name: "zpm", version: u.version, title: "zpm" },
    { capabilities: { tools: { listChanged: false } }, instructions: u.error },
  );
  const listing = TOOLS.map(toolListing);
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listing }));
  server.setRequestHandler(CallToolRequestSchema, () => ({
    content: [{ type: "text" as const, text: u.error }],
    isError: true,
  }));
  return server;
}
