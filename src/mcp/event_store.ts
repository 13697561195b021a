/**
 * A bounded in-memory SSE event store, one per session, so a client that loses its stream can resume with
 * `Last-Event-ID`: keeps the newest `capacity` events and forgets older ones (replay then starts from what
 * is kept; a forgotten id replays nothing).
 */
// @deno-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
import type { EventStore } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types";

/** The bounded event store (see the module comment). */
export class BoundedEventStore implements EventStore {
  private readonly events = new Map<string, { stream: string; message: JSONRPCMessage }>();
  private next = 0;

  constructor(private readonly capacity = 1000) {}

  /** Keep one event; evicts the oldest beyond the capacity. */
  storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = `${streamId}:${(this.next++).toString().padStart(12, "0")}`;
    this.events.set(id, { stream: streamId, message });
    while (this.events.size > this.capacity) this.events.delete(this.events.keys().next().value!);
    return Promise.resolve(id);
  }

  /** The stream an event id belongs to, when it is still kept. */
  getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return Promise.resolve(this.events.get(eventId)?.stream);
  }

  /** Send the events of the same stream stored after `lastEventId`; returns that stream's id. */
  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const from = this.events.get(lastEventId);
    if (!from) return "";
    let after = false;
    for (const [id, e] of this.events) {
      if (id === lastEventId) after = true;
      else if (after && e.stream === from.stream) await send(id, e.message);
    }
    return from.stream;
  }
}
