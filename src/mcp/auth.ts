/**
 * Bearer tokens for the HTTP transport: a token file holding only SHA-256 hashes (mode 0600), constant-time
 * checks, and what a token may do (read-only or read-write, all memories or a list).
 */
import { dirname, join } from "node:path";
import { timingSafeEqual } from "node:crypto";
import { textSha256 } from "../io/sealed_file.ts";

/** What a request may do: its token's name, mode and memories (null: every memory). */
export interface Grant {
  readonly name: string;
  readonly mode: "ro" | "rw";
  readonly memories: readonly string[] | null;
}

/** One stored token: never the token itself, only its hash. */
export interface TokenRecord {
  name: string;
  /** Hex SHA-256 of the token. */
  hash: string;
  mode: "ro" | "rw";
  /** Memories it may use; absent means all. */
  memories?: string[];
  created: string;
}

/** The grant of a server with no token configured (loopback only). */
export const OPEN_GRANT: Grant = { name: "(no token)", mode: "rw", memories: null };

/** The token file: `$XDG_CONFIG_HOME/zpm/tokens.json`, else `~/.config/zpm/tokens.json`. */
export function defaultTokenFile(): string {
  const xdg = Deno.env.get("XDG_CONFIG_HOME");
  const base = xdg && xdg !== "" ? xdg : join(Deno.env.get("HOME") ?? ".", ".config");
  return join(base, "zpm", "tokens.json");
}

/** Read the token file; a missing file is no tokens, a malformed one throws with what to do. */
export function loadTokens(path: string): TokenRecord[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw new Error(`cannot read token file ${path}: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`token file ${path} is not valid JSON; fix or delete it, then create tokens again`);
  }
  const list = (data as { tokens?: unknown })?.tokens;
  if (!Array.isArray(list) || !list.every(isRecord)) {
    throw new Error(`token file ${path} has no valid "tokens" list; fix or delete it`);
  }
  return list;
}

function isRecord(r: unknown): r is TokenRecord {
  const t = r as TokenRecord;
  return !!t && typeof t.name === "string" && typeof t.hash === "string" && /^[0-9a-f]{64}$/.test(t.hash) &&
    (t.mode === "ro" || t.mode === "rw") &&
    (t.memories === undefined ||
      (Array.isArray(t.memories) && t.memories.every((m) => typeof m === "string")));
}

/** Write the token file atomically with mode 0600 (its directory 0700). */
export function saveTokens(path: string, tokens: TokenRecord[]): void {
  Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  Deno.writeTextFileSync(tmp, JSON.stringify({ tokens }, null, 2) + "\n", { mode: 0o600 });
  Deno.chmodSync(tmp, 0o600);
  Deno.renameSync(tmp, path);
}

/** Hex SHA-256 of a token. */
export function hashToken(token: string): Promise<string> {
  return textSha256(token);
}

/** A new random token: `zpm_` and 32 random bytes in base64url. */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return "zpm_" +
    btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * The tokens a server checks against. The file is re-read when it changes on disk, so a revoked token stops
 * working on the next request without a restart.
 */
export class TokenVerifier {
  private tokens: TokenRecord[] = [];
  private stamp = "";

  constructor(private readonly path: string) {
    this.reload();
  }

  /** True when at least one token exists (then every request needs one). */
  get required(): boolean {
    this.reload();
    return this.tokens.length > 0;
  }

  /** The grant of `token`, or null; compares every stored hash in constant time. */
  async verify(token: string): Promise<Grant | null> {
    this.reload();
    const given = hexBytes(await hashToken(token));
    let found: TokenRecord | null = null;
    for (const t of this.tokens) {
      if (timingSafeEqual(given, hexBytes(t.hash)) && !found) found = t;
    }
    return found ? { name: found.name, mode: found.mode, memories: found.memories ?? null } : null;
  }

  private reload(): void {
    let stamp = "missing";
    try {
      const st = Deno.statSync(this.path);
      stamp = `${st.mtime?.getTime()}:${st.size}:${st.ino}`;
    } catch { /* missing: no tokens */ }
    if (stamp === this.stamp) return;
    this.tokens = loadTokens(this.path);
    this.stamp = stamp;
  }
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
