/**
 * A deadline on every statement of a postgres.js client. postgres.js 3.4.9 can lose a statement
 * written while its connection is being torn down (porsager/postgres#1208): the promise then never
 * settles. Wrapped, such a statement fails after `ms` and `onTimeout` replaces the client.
 *
 * @module
 */
import type { Sql } from "postgres";

/** Thrown when the database did not answer a statement in time. */
export class StatementTimeout extends Error {
  /** A timeout after `ms` milliseconds. */
  constructor(ms: number) {
    super(`no answer from the database within ${ms / 1000}s`);
    this.name = "StatementTimeout";
  }
}

/** `sql` whose tagged-template statements reject after `ms` (calling `onTimeout` once). */
export function withDeadline(sql: Sql, ms: number, onTimeout: () => void): Sql {
  return new Proxy(sql, {
    apply(target, thisArg, args) {
      const query = Reflect.apply(target, thisArg, args) as Promise<unknown>;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          onTimeout();
          reject(new StatementTimeout(ms));
        }, ms);
      });
      return Promise.race([query, timeout]).finally(() => clearTimeout(timer));
    },
  });
}
