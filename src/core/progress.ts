/**
 * Progress of long work (boot, snapshot save/restore, bulk writes, import/export): stderr lines that
 * start once the work has run for a second and come at most once a second, a final summary, and
 * optionally MCP `notifications/progress` for a call that asked for them with a progress token.
 *
 * @module
 */
import { writeStderr } from "../io/output.ts";

/** One progress update for a listener; `progress` increases with every update. */
export interface ProgressUpdate {
  progress: number;
  message: string;
}

/** Receives progress updates (e.g. sends them as MCP `notifications/progress`). */
export type ProgressListener = (update: ProgressUpdate) => void;

/** Least time between two listener updates, except the heartbeat and the last one. */
const NOTIFY_EVERY_MS = 250;

/** How long work runs before it prints progress lines (ms; ZPM_PROGRESS_AFTER_MS, default 1000). */
export function progressAfterMs(): number {
  const n = Number(Deno.env.get("ZPM_PROGRESS_AFTER_MS") ?? "1000");
  return Number.isSafeInteger(n) && n >= 0 && n <= 3_600_000 ? n : 1000;
}

/**
 * Reports the progress of one piece of work; call `done` (or `end`) when it is over. Lines start once
 * the work has run for `progressAfterMs()` and come at most once a second.
 */
export class Progress {
  private readonly start = performance.now();
  private readonly afterS = progressAfterMs() / 1000;
  private lastLine = Number.NEGATIVE_INFINITY;
  private lastSent = Number.NEGATIVE_INFINITY;
  private updates = 0;
  /** What the work is doing now; a function is called only when a line or an update needs the text. */
  private state: string | (() => string) | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  /**
   * `what` names the work in every line (e.g. "zpm import"); lines go to `write` (default stderr),
   * updates to `listener`. While the work runs, a heartbeat repeats the current state every second,
   * so a long single step (one engine call) is not silent.
   */
  constructor(
    private readonly what: string,
    private readonly write: (line: string) => void = stderrLine,
    private readonly listener?: ProgressListener,
  ) {
    const timer = setInterval(() => this.emit(true), 1000);
    Deno.unrefTimer(Number(timer));
    this.timer = timer;
  }

  /** Seconds since the work started. */
  elapsed(): number {
    return (performance.now() - this.start) / 1000;
  }

  /**
   * The work is now at `state` (e.g. "loading snapshot 'base'", "40000/100000 transactions"); pass a
   * function when the text costs something to make (it is made only if a line or an update is sent).
   */
  report(state: string | (() => string)): void {
    this.state = state;
    this.emit(false);
  }

  /** Shorthand for `report`: `done` so far (of `total`) `unit`. */
  tick(done: number, total: number | null, unit = "clauses"): void {
    this.report(`${done}${total === null ? "" : `/${total}`} ${unit}`);
  }

  /** The work is over: print `summary` when it took over a second (or `always`), and stop the heartbeat. */
  done(summary: string, always = false): void {
    this.end();
    const elapsed = this.elapsed();
    if (always || elapsed >= this.afterS) this.write(`${this.what}: ${summary} in ${elapsed.toFixed(1)} s`);
    this.notify(summary);
  }

  /** Stop the heartbeat without a summary (the work failed; its error says why). */
  end(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private emit(heartbeat: boolean): void {
    if (this.state === null || this.timer === null) return;
    const now = this.elapsed();
    const line = now >= this.afterS && now - this.lastLine >= (heartbeat ? 0.9 : 1);
    const update = this.listener !== undefined &&
      (heartbeat || now * 1000 - this.lastSent >= NOTIFY_EVERY_MS);
    if (!line && !update) return;
    if (typeof this.state === "function") this.state = this.state();
    if (line) {
      this.lastLine = now;
      this.write(`${this.what}: ${this.state} (${now.toFixed(1)} s)`);
    }
    if (update) this.notify(this.state);
  }

  private notify(message: string): void {
    if (!this.listener) return;
    this.lastSent = this.elapsed() * 1000;
    try {
      this.listener({ progress: ++this.updates, message: `${this.what}: ${message}` });
    } catch { /* a closed connection must not break the work */ }
  }
}

function stderrLine(line: string): void {
  writeStderr(line + "\n");
}

/** Where the work under way is visible to the code it calls (replay batches report to it). */
export interface ProgressSlot {
  progress: Progress | null;
}

/**
 * Run `work` with a {@link Progress} named `what` (lines to `write`, updates to `listener`), visible in
 * `slot` while it runs; on success print the summary `summary(result)`; stop the heartbeat either way.
 */
export async function tracked<T>(
  what: string,
  sinks: { write: (line: string) => void; listener?: ProgressListener; slot: ProgressSlot },
  work: () => Promise<T>,
  summary: (result: T) => string,
): Promise<T> {
  const progress = new Progress(what, sinks.write, sinks.listener);
  const outer = sinks.slot.progress;
  sinks.slot.progress = progress;
  try {
    const result = await work();
    progress.done(summary(result));
    return result;
  } finally {
    progress.end();
    sinks.slot.progress = outer;
  }
}
