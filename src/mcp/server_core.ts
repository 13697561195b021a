/**
 * The MCP server every transport uses: capabilities, tools, resources, prompts, logging and completion,
 * built once per client session over one shared project, call queue, change watcher and log hub.
 */
// @deno-types="@modelcontextprotocol/sdk/server/index"
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
// @deno-types="@modelcontextprotocol/sdk/types"
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import type { ProgressListener } from "../core/progress.ts";
import { targetMemory } from "../project/memory_location.ts";
import type { Project } from "../project/project.ts";
import { callTool, findTool, TOOLS } from "../tools/registry.ts";
import type { ToolSpec } from "../tools/types.ts";
import { refusal } from "./access.ts";
import { type Grant, OPEN_GRANT } from "./auth.ts";
import { CallQueue } from "./call_queue.ts";
import { registerCompletion } from "./completion.ts";
import { LogHub } from "./logging.ts";
import { registerPrompts } from "./prompts.ts";
import { ChangeWatcher, registerResources } from "./resources.ts";
import { structuredOf, toolListing } from "./schema.ts";

/** What every session of one server process shares. */
export interface ServerShared {
  project: Project;
  /** Calls into the project, one at a time across all sessions. */
  queue: CallQueue;
  watcher: ChangeWatcher;
  logs: LogHub;
}

/** The shared state for `project` (one per process). */
export function sharedState(project: Project): ServerShared {
  const queue = new CallQueue();
  return { project, queue, watcher: new ChangeWatcher(project, queue), logs: new LogHub() };
}

/** Per-session options. */
export interface SessionOptions {
  /** What the session's token may do (default: everything). */
  grant?: Grant;
  /** Most tool calls of this session running or queued at once (default: unlimited). */
  maxConcurrentCalls?: number;
}

/** Build one session's SDK `Server`; connect it to `guardTransport(transport)`. */
export function createServer(shared: ServerShared, opts: SessionOptions = {}): Server {
  const { project, queue } = shared;
  const grant = opts.grant ?? OPEN_GRANT;
  const server = new Server(
    { name: "zpm", version: project.version, title: "zpm" },
    {
      capabilities: {
        tools: { listChanged: false },
        resources: { subscribe: true, listChanged: false },
        prompts: { listChanged: false },
        logging: {},
        completions: {},
      },
      instructions:
        "zpm is a durable Prolog knowledge base. Store facts with remember_fact, rules with define_rule, and ask with query_logic.",
    },
  );
  const listing = TOOLS.map(toolListing);
  let running = 0;
  // Answers leave in the order the calls arrived, as upstream's one-at-a-time server sends them; with
  // group commit a read may be ready before the write ahead of it, which waits for its sync.
  let lastAnswer = Promise.resolve();
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listing }));
  server.setRequestHandler(
    CallToolRequestSchema,
    async (req: CallRequest, extra: { sendNotification: (n: ProgressNotification) => Promise<void> }) => {
      const tool = findTool(req.params.name);
      if (!tool) throw new McpError(ErrorCode.InvalidParams, `Tool not found: ${req.params.name}`);
      const denied = refusal(grant, tool, req.params.arguments, project);
      if (denied) {
        project.opts.log(`zpm: refused ${tool.name} for token '${grant.name}': ${denied}`);
        return { content: [{ type: "text" as const, text: denied }], isError: true };
      }
      if (opts.maxConcurrentCalls !== undefined && running >= opts.maxConcurrentCalls) {
        throw new McpError(
          ErrorCode.InvalidRequest,
          `Too many concurrent calls in this session (limit ${opts.maxConcurrentCalls}); wait for an answer first`,
        );
      }
      running++;
      const previous = lastAnswer;
      let release = () => {};
      lastAnswer = new Promise<void>((resolve) => release = resolve);
      try {
        // One call at a time across all sessions: the engine and the journal see calls in arrival order.
        const progress = progressSender(req.params._meta?.progressToken, extra.sendNotification);
        const r = await queue.run((yieldTurn) =>
          callTool(tool, { project, progress, yieldTurn }, req.params.arguments)
        );
        // A write answers once it is durable; a read waits for the writes it may have seen.
        const unsaved = tool.hints.readOnly ? await durableOrError(project) : null;
        if (unsaved) return unsaved;
        if (!tool.hints.readOnly && !r.isError) changedMemory(tool, req.params.arguments, shared);
        const structuredContent = r.isError ? undefined : structuredOf(tool, r.texts[0]);
        return {
          content: r.texts.map((text) => ({ type: "text" as const, text })),
          isError: r.isError,
          ...(structuredContent ? { structuredContent } : {}),
        };
      } finally {
        await previous;
        release();
        running--;
      }
    },
  );
  const reader = { project, queue, grant };
  registerResources(server, reader, shared.watcher);
  registerPrompts(server, reader);
  registerCompletion(server, reader);
  shared.logs.attach(server);
  return server;
}

/** A tools/call request as the handler reads it. */
interface CallRequest {
  params: { name: string; arguments?: unknown; _meta?: { progressToken?: string | number } };
}

/** An MCP `notifications/progress` message. */
interface ProgressNotification {
  method: "notifications/progress";
  params: { progressToken: string | number; progress: number; total?: number; message: string };
}

/** Progress of a call's long work as `notifications/progress`, when the call carried a progress token. */
function progressSender(
  token: string | number | undefined,
  send: (n: ProgressNotification) => Promise<void>,
): ProgressListener | undefined {
  if (token === undefined) return undefined;
  return (u) => {
    send({ method: "notifications/progress", params: { progressToken: token, ...u } }).catch(() => {
      /* the client went away; the work goes on */
    });
  };
}

/**
 * Wait until every write the answer may have seen is durable (group commit). When one could not be
 * saved, the answer is withheld: it may describe knowledge that is not stored.
 */
async function durableOrError(project: Project) {
  try {
    await project.barrier();
    return null;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      content: [{
        type: "text" as const,
        text:
          `ExecutionFailed: a write this answer may have seen could not be saved (${why}); the answer was withheld. Ask again.`,
      }],
      isError: true,
    };
  }
}

/** Tell the watcher which memory a successful write by a memory-aware tool changed. */
function changedMemory(tool: ToolSpec, args: unknown, shared: ServerShared): void {
  const a = args && typeof args === "object" ? args as Record<string, unknown> : {};
  if (tool.memory) shared.watcher.changed(targetMemory(a.memory));
}
