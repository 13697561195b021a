/**
 * The checks an HTTP request passes before MCP sees it: `Host` and `Origin` against DNS rebinding, and the
 * bearer token (401 with `WWW-Authenticate: Bearer` and a link to the protected-resource metadata).
 */
import { type Grant, OPEN_GRANT, type TokenVerifier } from "./auth.ts";

/** Loopback host names (without port). */
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** True when `host` (an address or name to bind) is a loopback address. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Which `Host`/`Origin` values are accepted. */
export interface HostPolicy {
  /** Accepted `host[:port]` values of the Host header (lower case). */
  hosts: Set<string>;
  /** Extra accepted origins (`scheme://host[:port]`). */
  origins: Set<string>;
}

/** The policy for a server bound to `host:port`; `extra` adds names (e.g. a reverse proxy's). */
export function hostPolicy(
  host: string,
  port: number,
  extraHosts: string[],
  extraOrigins: string[],
): HostPolicy {
  const hosts = new Set<string>();
  const names = isLoopback(host) ? [...LOOPBACK].filter((n) => n !== "::1") : [host.toLowerCase()];
  for (const n of names) {
    hosts.add(n);
    hosts.add(`${n}:${port}`);
  }
  for (const h of extraHosts) hosts.add(h.toLowerCase());
  return { hosts, origins: new Set(extraOrigins.map((o) => o.toLowerCase())) };
}

/** A 403 for a request whose Host or Origin is not accepted, or null when both are fine. */
export function rejectHostOrOrigin(req: Request, policy: HostPolicy): Response | null {
  const host = (req.headers.get("host") ?? "").toLowerCase();
  if (!policy.hosts.has(host)) {
    return jsonError(
      403,
      `Forbidden: Host '${host}' is not accepted (DNS rebinding protection); use --allow-host`,
    );
  }
  const origin = req.headers.get("origin");
  if (origin === null) return null;
  let originHost: string;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    return jsonError(403, `Forbidden: malformed Origin '${origin}'`);
  }
  if (policy.hosts.has(originHost) || policy.origins.has(origin.toLowerCase())) return null;
  return jsonError(403, `Forbidden: Origin '${origin}' is not accepted; use --allow-origin`);
}

/** The grant of the request's bearer token, or the 401 to answer (no token needed only on loopback with none). */
export async function authenticate(
  req: Request,
  verifier: TokenVerifier,
  metadataUrl: string,
  loopbackOnly: boolean,
): Promise<Grant | Response> {
  // A server on a public address never falls back to no tokens, even after the last one is revoked.
  if (loopbackOnly && !verifier.required) return OPEN_GRANT;
  const header = req.headers.get("authorization") ?? "";
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const challenge = (error?: string) =>
    `Bearer realm="zpm", resource_metadata="${metadataUrl}"` +
    (error ? `, error="${error}", error_description="the bearer token is unknown or revoked"` : "");
  if (!m) {
    return jsonError(
      401,
      "Unauthorized: send 'Authorization: Bearer <token>' (create one with `zpm token create`)",
      {
        "WWW-Authenticate": challenge(),
      },
    );
  }
  const grant = await verifier.verify(m[1]);
  if (grant) return grant;
  return jsonError(401, "Unauthorized: the bearer token is unknown or revoked", {
    "WWW-Authenticate": challenge("invalid_token"),
  });
}

/** A JSON-RPC error body with an HTTP status. */
export function jsonError(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}
