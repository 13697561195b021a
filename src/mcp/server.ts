/** `zpm serve`: the MCP server over stdio, built by `createServer` like every other transport. */
import type { Project } from "../project/project.ts";
import { onLog } from "../io/log.ts";
import { guardTransport } from "./request_guard.ts";
import { createServer, sharedState } from "./server_core.ts";
import { StdioLineTransport } from "./stdio_transport.ts";

/**
 * Serve MCP on stdin/stdout until EOF; resolves after every pending request was answered. Another transport
 * reuses the same semantics by connecting a `createServer` session to `guardTransport(itsTransport)`.
 */
export async function serveStdio(project: Project): Promise<void> {
  const shared = sharedState(project);
  const untap = onLog((line) => shared.logs.forward(line));
  const server = createServer(shared);
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
  await shared.queue.drain();
  shared.watcher.stop();
  untap();
}
