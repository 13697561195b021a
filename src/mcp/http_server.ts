/**
 * `zpm serve --http [HOST:]PORT`: MCP over Streamable HTTP (the SDK's web-standard transport on
 * `Deno.serve`). One `/mcp` endpoint; one SDK server and request guard per session (unguessable ids);
 * SSE with resumability; DELETE ends a session; limits on body size, open sessions and concurrent calls;
 * SIGTERM/SIGINT stop taking requests, finish in-flight calls, close the sessions and resolve.
 */
// @deno-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
// @deno-types="@modelcontextprotocol/sdk/server/index"
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { onLog } from "../io/log.ts";
import type { Project } from "../project/project.ts";
import { type Grant, TokenVerifier } from "./auth.ts";
import { BoundedEventStore } from "./event_store.ts";
import { authenticate, hostPolicy, isLoopback, jsonError, rejectHostOrOrigin } from "./http_guard.ts";
import { guardTransport } from "./request_guard.ts";
import { createServer, sharedState } from "./server_core.ts";

/** How `serveHttp` listens and what it allows. */
export interface HttpOptions {
  host: string;
  port: number;
  tokenFile: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Largest request body in bytes (default 4 MiB). */
  maxBodyBytes?: number;
  /** Most open sessions (default 100). */
  maxSessions?: number;
  /** Most tool calls per session at once (default 16). */
  maxConcurrentCalls?: number;
  /** Extra accepted Host header values, e.g. a reverse proxy's public name. */
  allowHosts?: string[];
  /** Extra accepted Origin values. */
  allowOrigins?: string[];
  /** Called once listening, with the actual port. */
  onListen?: (port: number) => void;
  /** Stop when this aborts (tests); SIGTERM and SIGINT always stop. */
  signal?: AbortSignal;
}

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  server: Server;
  grant: Grant;
}

/** Parse `[HOST:]PORT` (IPv6 as `[::1]:PORT`); throws with the expected form. */
export function parseListen(spec: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(spec.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new Error(`--http expects [HOST:]PORT, e.g. 8080 or 0.0.0.0:8080; got '${spec}'`);
  }
  return { host: m[1] ?? "127.0.0.1", port };
}

/** Serve until SIGTERM/SIGINT (or `opts.signal`); resolves after in-flight calls finished. */
export async function serveHttp(project: Project, opts: HttpOptions): Promise<void> {
  const verifier = new TokenVerifier(opts.tokenFile);
  if (!isLoopback(opts.host) && !verifier.required) {
    throw new Error(
      `refusing to listen on ${opts.host} without tokens: anyone who can reach it could use the memory. ` +
        "Create a token first (`zpm token create NAME`), or bind to 127.0.0.1.",
    );
  }
  if (!!opts.tlsCert !== !!opts.tlsKey) throw new Error("--tls-cert and --tls-key must be given together");
  const shared = sharedState(project);
  const untap = onLog((line) => shared.logs.forward(line));
  const sessions = new Map<string, Session>();
  const maxSessions = opts.maxSessions ?? 100;
  const stop = new AbortController();
  let stopping = false;
  const onSignal = () => stop.abort();
  for (const sig of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(sig, onSignal);
  opts.signal?.addEventListener("abort", onSignal);

  let port = opts.port;
  const scheme = opts.tlsCert ? "https" : "http";
  let policy = hostPolicy(opts.host, port, opts.allowHosts ?? [], opts.allowOrigins ?? []);
  const metadataPath = "/.well-known/oauth-protected-resource/mcp";

  const handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const base = `${scheme}://${req.headers.get("host") ?? `${opts.host}:${port}`}`;
    if (url.pathname === metadataPath || url.pathname === "/.well-known/oauth-protected-resource") {
      return Response.json({
        resource: `${base}/mcp`,
        bearer_methods_supported: ["header"],
        resource_name: "zpm",
      });
    }
    if (url.pathname !== "/mcp") return jsonError(404, `Not found: the MCP endpoint is ${base}/mcp`);
    const bad = rejectHostOrOrigin(req, policy);
    if (bad) return bad;
    if (stopping) return jsonError(503, "Service unavailable: the server is shutting down");
    const auth = await authenticate(req, verifier, `${base}${metadataPath}`, isLoopback(opts.host));
    if (auth instanceof Response) return auth;
    const sid = req.headers.get("mcp-session-id");
    if (sid !== null) {
      const s = sessions.get(sid);
      if (!s) return jsonError(404, "Session not found: it ended or never existed; initialize a new one");
      if (s.grant.name !== auth.name) {
        return jsonError(403, "Forbidden: this session belongs to another token");
      }
      return await s.transport.handleRequest(req);
    }
    if (req.method !== "POST") {
      return jsonError(400, "Bad Request: no Mcp-Session-Id header; POST an initialize request first");
    }
    if (sessions.size >= maxSessions) {
      return jsonError(
        503,
        `Too many open sessions (limit ${maxSessions}); end one with DELETE or retry later`,
      );
    }
    return await openSession(req, auth);
  };

  const openSession = async (req: Request, grant: Grant): Promise<Response> => {
    let server: Server | null = null;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomId(),
      eventStore: new BoundedEventStore(),
      maxRequestBodySize: opts.maxBodyBytes ?? 4 * 1024 * 1024,
      onsessioninitialized: (id: string) => {
        sessions.set(id, { transport, server: server!, grant });
      },
      onsessionclosed: (id: string) => {
        sessions.delete(id);
      },
    });
    server = createServer(shared, { grant, maxConcurrentCalls: opts.maxConcurrentCalls ?? 16 });
    const prior = server.onclose;
    server.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      prior?.();
    };
    await server.connect(guardTransport(transport));
    const res = await transport.handleRequest(req);
    if (!transport.sessionId) await server.close(); // not an initialize request: nothing to keep
    return res;
  };

  const httpServer = Deno.serve({
    hostname: opts.host.replace(/^\[(.*)\]$/, "$1"),
    port: opts.port,
    ...(opts.tlsCert
      ? { cert: Deno.readTextFileSync(opts.tlsCert), key: Deno.readTextFileSync(opts.tlsKey!) }
      : {}),
    onListen: (addr) => {
      port = (addr as Deno.NetAddr).port;
      policy = hostPolicy(opts.host, port, opts.allowHosts ?? [], opts.allowOrigins ?? []);
      project.opts.log(`zpm: serving MCP on ${scheme}://${opts.host}:${port}/mcp`);
      opts.onListen?.(port);
    },
    onError: (e) => {
      project.opts.log(`zpm: HTTP request failed: ${e instanceof Error ? e.message : String(e)}`);
      return jsonError(500, "Internal error while handling the request; see the server log");
    },
  }, handle);

  await new Promise<void>((resolve) =>
    stop.signal.addEventListener("abort", () => resolve(), { once: true })
  );
  stopping = true;
  project.opts.log("zpm: shutting down: finishing calls in flight");
  const closing = httpServer.shutdown();
  await shared.queue.drain();
  // Let answers of the last calls reach their streams before the streams close.
  await new Promise((r) => setTimeout(r, 100));
  for (const s of [...sessions.values()]) await s.transport.close().catch(() => {});
  await Promise.race([closing, new Promise((r) => setTimeout(r, 5000))]);
  for (const sig of ["SIGTERM", "SIGINT"] as const) Deno.removeSignalListener(sig, onSignal);
  shared.watcher.stop();
  untap();
}

/** A session id: 32 random bytes, hex (unguessable). */
function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}
