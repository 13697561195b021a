/**
 * Diagnostics as MCP log messages: warnings the project writes to stderr (degraded mode, journal repair,
 * unreadable user files) are also sent to every connected session as `notifications/message`; each
 * session's `logging/setLevel` filters them (the SDK keeps the level per session).
 */
// @deno-types="@modelcontextprotocol/sdk/server/index"
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";

/** An MCP log level, least to most severe. */
export type LogLevel = "debug" | "info" | "notice" | "warning" | "error" | "critical" | "alert" | "emergency";

/** The sessions that receive log messages, and the tap that feeds them from the project's log. */
export class LogHub {
  private readonly servers = new Set<Server>();

  /** Send messages to `server` until it closes. */
  attach(server: Server): void {
    this.servers.add(server);
    const prior = server.onclose;
    server.onclose = () => {
      this.servers.delete(server);
      prior?.();
    };
  }

  /** Send one message to every session (each session's level filters it); failures are ignored. */
  send(level: LogLevel, data: string, logger = "zpm"): void {
    for (const s of this.servers) {
      s.sendLoggingMessage({ level, logger, data }).catch(() => {});
    }
  }

  /** The level a stderr diagnostic line gets: "warning", or "info" for the per-user default notice. */
  forward(line: string): void {
    this.send(/per-user default project/.test(line) ? "info" : "warning", line.replace(/^zpm: /, ""));
  }
}
