/**
 * JSON-RPC and MCP request semantics that every transport shares, kept out of the transports so that stdio
 * and a later Streamable HTTP transport behave the same: invalid requests answered with JSON-RPC errors
 * instead of being dropped by the SDK, requests before `initialize` refused, duplicate ids refused,
 * `tools/call` params checked, the SDK's params-validation failures reported as -32602, and the close of a
 * transport held back until every request it delivered has been answered.
 *
 * The seam is `guardTransport(inner)`: it wraps any SDK `Transport` (whose `onmessage` may deliver any
 * parsed JSON value, valid or not) and is itself the `Transport` the SDK server connects to.
 */
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport";
import type { JSONRPCMessage, MessageExtraInfo } from "@modelcontextprotocol/sdk/types";

/** A JSON-RPC request id the SDK accepts: a string or a safe integer. */
export type RequestId = string | number;

/**
 * What to do with one incoming message: hand a cleaned `forward` message to the SDK, send `reply` (an
 * error response) back to the client, or drop it silently (`null`, e.g. a malformed notification).
 */
export type Admission = { forward: JSONRPCMessage } | { reply: JSONRPCMessage } | null;

/** A JSON-RPC error response with `id` (null when the request's id could not be read). */
export function errorResponse(id: RequestId | null, code: number, message: string): JSONRPCMessage {
  return { jsonrpc: "2.0", id, error: { code, message } } as JSONRPCMessage;
}

/**
 * The per-connection state of the rules above (one guard per client session): whether `initialize` was
 * seen, and which request ids are still waiting for their response.
 */
export class RequestGuard {
  private pending = new Set<RequestId>();
  private initialized = false;
  private drained: (() => void) | null = null;

  /** Judge one incoming message, any parsed JSON value; an admitted request becomes pending. */
  admit(msg: unknown): Admission {
    if (Array.isArray(msg)) {
      return reject(null, -32600, "Invalid Request: JSON-RPC batches are not supported");
    }
    if (!msg || typeof msg !== "object") {
      return reject(null, -32600, "Invalid Request: expected a JSON object");
    }
    const m = msg as Record<string, unknown>;
    // The SDK only takes string or safe-integer ids; it silently drops anything else, which would
    // leave the request unanswered (and EOF waiting for it forever).
    const id = typeof m.id === "string" || Number.isSafeInteger(m.id) ? m.id as RequestId : null;
    if (m.jsonrpc !== "2.0") {
      if (id !== null || m.method !== undefined) {
        return reject(id, -32600, 'Invalid Request: "jsonrpc" must be "2.0"');
      }
      return null;
    }
    if (typeof m.method === "string") {
      if ("id" in m && id === null) {
        return reject(null, -32600, "Invalid Request: id must be a string or an integer");
      }
      if (
        m.params !== undefined &&
        (m.params === null || typeof m.params !== "object" || Array.isArray(m.params))
      ) {
        return id !== null ? reject(id, -32602, "Invalid params: params must be an object") : null;
      }
      if (id !== null) {
        if (m.method === "initialize") this.initialized = true;
        else if (!this.initialized && m.method !== "ping") {
          return reject(id, -32002, "Server not initialized: send 'initialize' first");
        }
        if (this.pending.has(id)) {
          return reject(id, -32600, `Invalid Request: id ${JSON.stringify(id)} is already in use`);
        }
        const problem = m.method === "tools/call" ? checkToolsCall(m.params) : null;
        if (problem) return reject(id, -32602, `Invalid params: ${problem}`);
        this.pending.add(id);
      }
      // Members other than these make the SDK's strict schema reject (and drop) the message.
      const clean = {
        jsonrpc: "2.0",
        method: m.method,
        ...(id !== null ? { id } : {}),
        ...(m.params !== undefined ? { params: m.params } : {}),
      };
      return { forward: clean as JSONRPCMessage };
    }
    if ("result" in m || "error" in m) return { forward: m as JSONRPCMessage };
    return reject(id, -32600, "Invalid Request: no method");
  }

  /** The form of an outgoing message the client should see: SDK params-validation errors become -32602. */
  rewrite(message: JSONRPCMessage): JSONRPCMessage {
    return invalidParams(message);
  }

  /** Note that `message` was sent: a response settles its pending request. */
  settle(message: JSONRPCMessage): void {
    const m = message as { id?: RequestId; method?: string };
    if (m.id === undefined || m.method !== undefined) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0 && this.drained) {
      const d = this.drained;
      this.drained = null;
      d();
    }
  }

  /** Resolves once every admitted request has been answered (at once when none is pending). */
  idle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }
}

function reject(id: RequestId | null, code: number, message: string): Admission {
  return { reply: errorResponse(id, code, message) };
}

/**
 * Wrap a transport with a `RequestGuard`: incoming messages are admitted, rejected (the error goes back
 * through `inner`) or dropped; outgoing ones are rewritten and settle their requests; `inner`'s close is
 * passed on only after every admitted request was answered. Connect the SDK server to the result.
 */
export function guardTransport(inner: Transport, guard: RequestGuard = new RequestGuard()): Transport {
  return new GuardedTransport(inner, guard);
}

/** The transport `guardTransport` returns; HTTP-style session ids and protocol versions pass through. */
class GuardedTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  constructor(private readonly inner: Transport, private readonly guard: RequestGuard) {
    inner.onmessage = (message: unknown, extra?: MessageExtraInfo) => {
      const verdict = guard.admit(message);
      if (verdict === null) return;
      if ("reply" in verdict) {
        inner.send(verdict.reply).catch((e: unknown) => this.onerror?.(asError(e)));
      } else this.onmessage?.(verdict.forward, extra);
    };
    inner.onerror = (error: Error) => this.onerror?.(error);
    inner.onclose = () => {
      guard.idle().then(() => this.onclose?.());
    };
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const sent = this.inner.send(this.guard.rewrite(message), options);
    this.guard.settle(message);
    return sent;
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Check `tools/call` params that the SDK would otherwise reject as an internal error (-32603).
 * `arguments: null` counts as absent (MCP: handlers treat it like an empty object).
 */
function checkToolsCall(params: unknown): string | null {
  if (!params || typeof params !== "object" || Array.isArray(params)) return "params must be an object";
  const p = params as Record<string, unknown>;
  if (typeof p.name !== "string") return "'name' must be a string";
  if (p.arguments === null) delete p.arguments;
  else if (p.arguments !== undefined && (typeof p.arguments !== "object" || Array.isArray(p.arguments))) {
    return "'arguments' must be an object";
  }
  return null;
}

/**
 * The SDK answers params that fail its request schema with -32603 and the raw validation issues
 * (a JSON array) as the message; that is an Invalid params error (-32602) in JSON-RPC terms.
 */
function invalidParams(message: JSONRPCMessage): JSONRPCMessage {
  const e = (message as { error?: { code?: number; message?: string } }).error;
  if (!e || e.code !== -32603 || typeof e.message !== "string" || !e.message.trimStart().startsWith("[")) {
    return message;
  }
  let issues: { path?: unknown[]; message?: string }[];
  try {
    issues = JSON.parse(e.message);
  } catch {
    return message;
  }
  if (!Array.isArray(issues) || !issues.every((i) => i && typeof i === "object" && Array.isArray(i.path))) {
    return message;
  }
  const detail = issues.map((i) => `${i.path!.join(".") || "params"}: ${i.message ?? "invalid"}`).join("; ");
  return { ...message, error: { code: -32602, message: `Invalid params: ${detail}` } } as JSONRPCMessage;
}
