/** HTTP GETs for the upgrader: a stall timeout, GitHub-aware error messages, and size-bounded small bodies. */
import { reason, UpgradeError } from "./errors.ts";
import { concatBytes } from "../io/files.ts";

const USER_AGENT = "zpm-upgrade/1.0";
/** A request that sends nothing for this long is abandoned. */
const STALL_MS = 60_000;

/** An answered GET: call `alive()` whenever body data arrives and `done()` once the body was read. */
export interface Fetched {
  res: Response;
  alive: () => void;
  done: () => void;
}

/** GET `url` with a stall timeout (60 s without data aborts); network failures become `UpgradeError`s. */
export async function get(url: string, accept: string): Promise<Fetched> {
  const ac = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const alive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ac.abort(new Error(`no data for ${STALL_MS / 1000} s`)), STALL_MS);
  };
  const done = () => clearTimeout(timer);
  alive();
  try {
    const res = await fetch(url, {
      headers: { "User-Agent": USER_AGENT, Accept: accept },
      signal: ac.signal,
    });
    alive();
    return { res, alive, done };
  } catch (e) {
    done();
    if (e instanceof Deno.errors.NotCapable) {
      throw new UpgradeError(
        `no network permission to reach ${new URL(url).host} (this zpm lacks --allow-net)`,
      );
    }
    throw new UpgradeError(`cannot reach ${url}: ${reason(e)}; check the network connection`);
  }
}

/** The error for a non-2xx answer to `what`; GitHub's exhausted rate limit gets its own message. */
export function httpError(what: string, url: string, res: Response): UpgradeError {
  if ((res.status === 403 || res.status === 429) && res.headers.get("x-ratelimit-remaining") === "0") {
    const reset = Number(res.headers.get("x-ratelimit-reset"));
    const when = reset ? ` (resets at ${new Date(reset * 1000).toISOString()})` : "";
    return new UpgradeError(`GitHub API rate limit exceeded${when}; try again later`);
  }
  const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
  return new UpgradeError(`${what} failed: ${status} from ${url}`);
}

/** Download a whole (small) body as text, refusing more than `limit` bytes; `what` names it in errors. */
export async function readLimited(url: string, limit: number, what: string): Promise<string> {
  const { res, alive, done } = await get(url, "application/octet-stream");
  try {
    if (!res.ok) throw httpError(`download of ${what}`, url, res);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body ?? []) {
      alive();
      size += chunk.length;
      if (size > limit) throw new UpgradeError(`${what} from ${url} is larger than ${limit} bytes`);
      chunks.push(chunk);
    }
    return new TextDecoder().decode(concatBytes(chunks));
  } catch (e) {
    if (e instanceof UpgradeError) throw e;
    throw new UpgradeError(`download of ${what} from ${url} failed: ${reason(e)}`);
  } finally {
    done();
    await res.body?.cancel().catch(() => {});
  }
}
