/** Shared helpers for durability tests. */

/** Sleep. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
