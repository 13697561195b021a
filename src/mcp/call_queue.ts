/** One queue of calls into the project, shared by every session of every transport. */

/**
 * Runs calls one at a time in arrival order, so the engine and the journal see them serialized exactly as
 * the stdio server always did, however many HTTP sessions share the project.
 */
export class CallQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /**
   * Run `fn` after every earlier call settled or gave up its turn; its result or failure is passed
   * through. `fn` may call the `yieldTurn` it is given to let the next call start before it ends (a
   * write queued in a group commit: the writes keep their order there, and reads wait for them).
   */
  run<T>(fn: (yieldTurn: () => void) => Promise<T>): Promise<T> {
    this.waiting++;
    const turn = Promise.withResolvers<void>();
    const run = this.tail.then(() => fn(turn.resolve));
    run.catch(() => {}).finally(() => {
      this.waiting--;
      turn.resolve();
    });
    this.tail = turn.promise;
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
