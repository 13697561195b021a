/** Progress lines on stderr for long work: silent for the first second, then at most one a second. */

/** Reports progress of one piece of work (`what`) on stderr. */
export class Progress {
  private readonly start = performance.now();
  private last = 0;

  /** `what` names the work in every line (e.g. "zpm import"). */
  constructor(private readonly what: string, private readonly write: (line: string) => void = stderrLine) {}

  /** Seconds since the work started. */
  elapsed(): number {
    return (performance.now() - this.start) / 1000;
  }

  /** Print `done` so far (of `total`) when the work has run over a second and no line came in the last one. */
  tick(done: number, total: number | null, unit = "clauses"): void {
    const now = this.elapsed();
    if (now < 1 || now - this.last < 1) return;
    this.last = now;
    this.write(`${this.what}: ${done}${total === null ? "" : `/${total}`} ${unit} (${now.toFixed(1)} s)`);
  }

  /** The final summary line, printed when the work took over a second (or `always`). */
  done(summary: string, always = false): void {
    if (always || this.elapsed() >= 1) {
      this.write(`${this.what}: ${summary} in ${this.elapsed().toFixed(1)} s`);
    }
  }
}

function stderrLine(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(line + "\n"));
}
