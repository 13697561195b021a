/**
 * The stdio framing of MCP: one JSON-RPC message per line on stdin and stdout. Lines that are not JSON, and
 * lines over `MAX_LINE_BYTES`, are answered with a JSON-RPC parse error (id null); blank lines are skipped; a
 * final line without "\n" is still read; EOF closes the transport. What a message means (valid request or
 * not, initialized or not, answered before close) is the business of `guardTransport` (request_guard.ts),
 * which wraps this transport.
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types";
import { errorResponse } from "./request_guard.ts";
import { type SyncWriter, writeText } from "../io/output.ts";
import { concatBytes } from "../io/files.ts";

/** Largest accepted message line in bytes (8 MiB); a longer line is skipped and answered with -32700. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

/**
 * Newline-delimited JSON over the process's stdin/stdout. `onmessage` receives every line that parses as
 * JSON, unvalidated (it may be an array or a number): wrap the transport with `guardTransport` before
 * connecting a server.
 */
export class StdioLineTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;

  constructor(
    private readonly input: ReadableStream<Uint8Array> = Deno.stdin.readable,
    private readonly output: SyncWriter = Deno.stdout,
  ) {}

  /** Begin reading; resolves immediately (reading continues in the background until EOF). */
  start(): Promise<void> {
    this.readLoop().catch((e) => this.onerror?.(e));
    return Promise.resolve();
  }

  private async readLoop() {
    const decoder = new TextDecoder();
    let parts: Uint8Array[] = [];
    let size = 0;
    let skipping = false;
    for await (const chunk of this.input) {
      let start = 0;
      for (let i = 0; i < chunk.length; i++) {
        if (chunk[i] !== 10) continue;
        const piece = chunk.subarray(start, i);
        start = i + 1;
        if (!skipping) this.handleLine(decoder.decode(concatBytes([...parts, piece])));
        skipping = false;
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
          this.write(errorResponse(null, -32700, `Parse error: message larger than ${MAX_LINE_BYTES} bytes`));
        } else parts.push(rest.slice());
      }
    }
    if (!skipping && size > 0) this.handleLine(decoder.decode(concatBytes(parts)));
    this.onclose?.();
  }

  private handleLine(text: string) {
    if (!text.trim()) return;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      this.write(errorResponse(null, -32700, `Parse error: ${(e as Error).message}`));
      return;
    }
    // Unvalidated on purpose: the guard wrapping this transport answers what is not a valid message.
    this.onmessage?.(msg as JSONRPCMessage);
  }

  private write(message: JSONRPCMessage) {
    writeText(this.output, JSON.stringify(message) + "\n");
  }

  /** Write one message as a line on stdout (synchronously, so messages never interleave). */
  send(message: JSONRPCMessage): Promise<void> {
    this.write(message);
    return Promise.resolve();
  }

  /** Nothing to release: stdin/stdout belong to the process. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
