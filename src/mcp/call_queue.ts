/** One queue of calls into the project, shared by every session of every transport. */

/**
 * Runs calls one at a time in arrival order, so the engine and the journal see them serialized exactly as
 * the stdio server always did, however many HTTP sessions share the project.
 */
export class CallQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Run `fn` after every earlier call settled; its result or failure is passed through. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.waiting++;
    const run = this.tail.then(fn);
    this.tail = run.catch(() => {}).finally(() => this.waiting--);
    return run;
  }

  /** Calls queued or running. */
  get length(): number {
    return this.waiting;
  }

  /** Resolves once every call queued so far has settled. */
  async drain(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.tail;
      await seen;
    } while (seen !== this.tail);
  }
}
