/**
 * Each memory's schema and overview as MCP resources (`zpm://memory/<name>/schema|overview`), two resource
 * templates, and subscriptions: a subscribed memory is polled (its journal head, every 500 ms) so commits
 * by other processes are noticed, and this server's own writes notify at once.
 */
// @deno-types="@modelcontextprotocol/sdk/server/index"
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
// @deno-types="@modelcontextprotocol/sdk/types"
import {
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { Project } from "../project/project.ts";
import type { CallQueue } from "./call_queue.ts";
import { mayUse, type MemoryReader, readTool, visibleMemories } from "./memory_access.ts";
import { isDefaultMemory } from "../project/memory_location.ts";

const KINDS = {
  schema: { tool: "get_knowledge_schema", what: "predicates with arity, kind and clause count" },
  overview: { tool: "get_kb_overview", what: "predicates, samples, assumptions, snapshots and persistence" },
} as const;
type Kind = keyof typeof KINDS;

/** The URI of one memory resource. */
export function resourceUri(memory: string, kind: Kind): string {
  return `zpm://memory/${encodeURIComponent(memory)}/${kind}`;
}

/** The memory and kind a URI names, or null. */
export function parseUri(uri: string): { memory: string; kind: Kind } | null {
  const m = /^zpm:\/\/memory\/([^/]+)\/(schema|overview)$/.exec(uri);
  if (!m) return null;
  try {
    return { memory: decodeURIComponent(m[1]), kind: m[2] as Kind };
  } catch {
    return null;
  }
}

/** Register the resource handlers of one session on `server`. */
export function registerResources(server: Server, r: MemoryReader, watcher: ChangeWatcher): void {
  const subscribed = new Set<string>();
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: (await visibleMemories(r)).flatMap((m) =>
      (Object.keys(KINDS) as Kind[]).map((kind) => ({
        uri: resourceUri(m, kind),
        name: `${m}-${kind}`,
        title: `Memory '${m}': ${kind}`,
        description: `The ${kind} of memory '${m}': ${KINDS[kind].what} (JSON).`,
        mimeType: "application/json",
      }))
    ),
  }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: (Object.keys(KINDS) as Kind[]).map((kind) => ({
      uriTemplate: `zpm://memory/{memory}/${kind}`,
      name: `memory-${kind}`,
      title: `A memory's ${kind}`,
      description: `The ${kind} of any mounted memory: ${KINDS[kind].what} (JSON).`,
      mimeType: "application/json",
    })),
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (req: { params: { uri: string } }) => {
    const target = checked(r, req.params.uri);
    const text = await readTool(r, KINDS[target.kind].tool, { memory: target.memory }).catch((e: Error) => {
      throw new McpError(ErrorCode.InvalidParams, `Cannot read ${req.params.uri}: ${e.message}`);
    });
    return { contents: [{ uri: req.params.uri, mimeType: "application/json", text }] };
  });
  server.setRequestHandler(SubscribeRequestSchema, (req: { params: { uri: string } }) => {
    const { memory } = checked(r, req.params.uri);
    if (!subscribed.has(req.params.uri)) {
      subscribed.add(req.params.uri);
      watcher.watch(memory, req.params.uri, server);
    }
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, (req: { params: { uri: string } }) => {
    const target = parseUri(req.params.uri);
    if (target && subscribed.delete(req.params.uri)) watcher.unwatch(target.memory, req.params.uri, server);
    return {};
  });
  const prior = server.onclose;
  server.onclose = () => {
    for (const uri of subscribed) watcher.unwatch(parseUri(uri)!.memory, uri, server);
    subscribed.clear();
    prior?.();
  };
}

function checked(r: MemoryReader, uri: string): { memory: string; kind: Kind } {
  const target = parseUri(uri);
  if (!target || !r.project.entry(target.memory) && !isDefaultMemory(target.memory)) {
    throw new McpError(
      ErrorCode.InvalidParams,
      `Resource not found: ${uri}. Use resources/list for the URIs.`,
    );
  }
  if (!mayUse(r.grant, target.memory)) {
    throw new McpError(
      ErrorCode.InvalidParams,
      `Forbidden: this token may not read memory '${target.memory}'.`,
    );
  }
  return target;
}

/**
 * Notices changes of subscribed memories — this process's writes (`changed`) and other processes' commits
 * (a poll of each watched memory's journal head) — and sends `notifications/resources/updated`.
 */
export class ChangeWatcher {
  private readonly subs = new Map<string, Map<string, Set<Server>>>();
  private readonly heads = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private polling = false;

  constructor(
    private readonly project: Project,
    private readonly queue: CallQueue,
    private readonly intervalMs = 500,
  ) {}

  /** Send updates for `uri` (of `memory`) to `server`. */
  watch(memory: string, uri: string, server: Server): void {
    let byUri = this.subs.get(memory);
    if (!byUri) this.subs.set(memory, byUri = new Map());
    let servers = byUri.get(uri);
    if (!servers) byUri.set(uri, servers = new Set());
    servers.add(server);
    if (!this.heads.has(memory)) this.head(memory).then((h) => this.heads.set(memory, h));
    this.timer ??= setInterval(() => this.poll(), this.intervalMs);
  }

  /** Stop sending updates for `uri` to `server`. */
  unwatch(memory: string, uri: string, server: Server): void {
    const byUri = this.subs.get(memory);
    byUri?.get(uri)?.delete(server);
    if (byUri?.get(uri)?.size === 0) byUri.delete(uri);
    if (byUri?.size === 0) {
      this.subs.delete(memory);
      this.heads.delete(memory);
    }
    if (this.subs.size === 0) this.stop();
  }

  /** `memory` changed in this process: notify its subscribers now. */
  changed(memory: string): void {
    this.notify(memory);
    this.head(memory).then((h) => this.heads.set(memory, h));
  }

  /** Stop polling. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const memory of [...this.subs.keys()]) {
        const h = await this.head(memory);
        if (this.heads.has(memory) && this.heads.get(memory) !== h) this.notify(memory);
        this.heads.set(memory, h);
      }
    } finally {
      this.polling = false;
    }
  }

  private async head(memory: string): Promise<number> {
    try {
      // Through the queue: opening a memory must not race a tool call that opens or unmounts it.
      return await this.queue.run(async () =>
        (await (await this.project.use(memory, "read")).journalSize()).size
      );
    } catch {
      return -1;
    }
  }

  private notify(memory: string): void {
    for (const [uri, servers] of this.subs.get(memory) ?? []) {
      for (const s of servers) s.sendResourceUpdated({ uri }).catch(() => {});
    }
  }
}
