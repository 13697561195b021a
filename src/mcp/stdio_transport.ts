/**
 * A stdio transport for the MCP SDK that is strict about framing: one JSON-RPC message per line,
 * malformed lines answered with JSON-RPC errors, requests before `initialize` refused, a final line
 * without "\n" still read, and at EOF every pending request answered before `onclose` fires.
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** Largest accepted message line in bytes. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

type Id = string | number;

/** Newline-delimited JSON-RPC over the process's stdin/stdout. */
export class StdioLineTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private pending = new Set<Id>();
  private initialized = false;
  private drained: (() => void) | null = null;
  private readonly enc = new TextEncoder();

  constructor(
    private readonly input: ReadableStream<Uint8Array> = Deno.stdin.readable,
    private readonly output: { writeSync(p: Uint8Array): number } = Deno.stdout,
  ) {}

  /** Begin reading; resolves immediately (reading continues in the background). */
  start(): Promise<void> {
    this.readLoop().catch((e) => this.onerror?.(e));
    return Promise.resolve();
  }

  private async readLoop() {
    const decoder = new TextDecoder();
    let parts: Uint8Array[] = [];
    let size = 0;
    let skipping = false;
    const flushLine = (line: Uint8Array | null) => {
      if (skipping) {
        skipping = false;
        return;
      }
      if (line) this.handleLine(decoder.decode(line));
    };
    for await (const chunk of this.input) {
      let start = 0;
      for (let i = 0; i < chunk.length; i++) {
        if (chunk[i] !== 10) continue;
        const piece = chunk.subarray(start, i);
        start = i + 1;
        if (skipping) {
          skipping = false;
          parts = [];
          size = 0;
          continue;
        }
        flushLine(concat(parts, piece));
        parts = [];
        size = 0;
      }
      const rest = chunk.subarray(start);
      if (rest.length && !skipping) {
        size += rest.length;
        if (size > MAX_LINE_BYTES) {
          parts = [];
          size = 0;
          skipping = true;
          this.sendError(null, -32700, `Parse error: message larger than ${MAX_LINE_BYTES} bytes`);
        } else parts.push(rest.slice());
      }
    }
    if (!skipping && size > 0) flushLine(concat(parts, new Uint8Array()));
    await this.waitForPending();
    this.onclose?.();
  }

  private handleLine(text: string) {
    if (!text.trim()) return;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      this.sendError(null, -32700, `Parse error: ${(e as Error).message}`);
      return;
    }
    if (Array.isArray(msg)) {
      this.sendError(null, -32600, "Invalid Request: JSON-RPC batches are not supported");
      return;
    }
    if (!msg || typeof msg !== "object") {
      this.sendError(null, -32600, "Invalid Request: expected a JSON object");
      return;
    }
    const m = msg as Record<string, unknown>;
    // The SDK only takes string or safe-integer ids; it silently drops anything else, which would
    // leave the request unanswered (and EOF waiting for it forever).
    const id = typeof m.id === "string" || Number.isSafeInteger(m.id) ? m.id as Id : null;
    if (m.jsonrpc !== "2.0") {
      if (id !== null || m.method !== undefined) {
        this.sendError(id, -32600, 'Invalid Request: "jsonrpc" must be "2.0"');
      }
      return;
    }
    if (typeof m.method === "string") {
      if ("id" in m && id === null) {
        this.sendError(null, -32600, "Invalid Request: id must be a string or an integer");
        return;
      }
      if (
        m.params !== undefined &&
        (m.params === null || typeof m.params !== "object" || Array.isArray(m.params))
      ) {
        if (id !== null) this.sendError(id, -32602, "Invalid params: params must be an object");
        return;
      }
      if (id !== null) {
        if (m.method === "initialize") this.initialized = true;
        else if (!this.initialized && m.method !== "ping") {
          this.sendError(id, -32002, "Server not initialized: send 'initialize' first");
          return;
        }
        if (this.pending.has(id)) {
          this.sendError(id, -32600, `Invalid Request: id ${JSON.stringify(id)} is already in use`);
          return;
        }
        const problem = m.method === "tools/call" ? checkToolsCall(m.params) : null;
        if (problem) {
          this.sendError(id, -32602, `Invalid params: ${problem}`);
          return;
        }
        this.pending.add(id);
      }
      // Members other than these make the SDK's strict schema reject (and drop) the message.
      const clean = {
        jsonrpc: "2.0",
        method: m.method,
        ...(id !== null ? { id } : {}),
        ...(m.params !== undefined ? { params: m.params } : {}),
      };
      this.onmessage?.(clean as JSONRPCMessage);
      return;
    }
    if ("result" in m || "error" in m) {
      this.onmessage?.(m as JSONRPCMessage);
      return;
    }
    this.sendError(id, -32600, "Invalid Request: no method");
  }

  private sendError(id: Id | null, code: number, message: string) {
    this.write({ jsonrpc: "2.0", id, error: { code, message } });
  }

  private write(obj: unknown) {
    const bytes = this.enc.encode(JSON.stringify(obj) + "\n");
    let off = 0;
    while (off < bytes.length) off += this.output.writeSync(bytes.subarray(off));
  }

  private waitForPending(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  /** Write one message; a response settles its pending request. */
  send(message: JSONRPCMessage): Promise<void> {
    this.write(invalidParams(message));
    const m = message as { id?: Id; method?: string };
    if (m.id !== undefined && m.method === undefined) {
      this.pending.delete(m.id);
      if (this.pending.size === 0 && this.drained) {
        const d = this.drained;
        this.drained = null;
        d();
      }
    }
    return Promise.resolve();
  }

  /** Nothing to release: stdin/stdout belong to the process. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Check `tools/call` params that the SDK would otherwise reject as an internal error (-32603).
 * `arguments: null` counts as absent (§6: handlers treat it like an empty object).
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

function concat(parts: Uint8Array[], last: Uint8Array): Uint8Array {
  if (parts.length === 0) return last;
  const total = parts.reduce((n, p) => n + p.length, 0) + last.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of [...parts, last]) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
