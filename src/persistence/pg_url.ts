/**
 * PostgreSQL store URLs: what may be recorded (`postgres://user@host:port/db`, never a password),
 * how to show one (passwords redacted) and where credentials come from at run time (the URL given
 * in the environment, `PGPASSWORD`, or `~/.pgpass`/`PGPASSFILE`, as libpq does).
 *
 * @module
 */

/** True for a `postgres://` or `postgresql://` URL. */
export function isStoreUrl(s: string): boolean {
  return /^postgres(ql)?:\/\//i.test(s);
}

/** The URL without its password (what may be written to the manifest); throws on a malformed URL. */
export function storeUrlWithoutPassword(url: string): string {
  if (!isStoreUrl(url)) throw new Error(`not a postgres:// URL: ${redact(url)}`);
  let u: URL;
  try {
    u = new URL(url.replace(/^postgres(ql)?:/i, "http:"));
  } catch {
    throw new Error(`malformed store URL: ${redact(url)}`);
  }
  if (!u.hostname) throw new Error(`store URL has no host: ${redact(url)}`);
  u.password = "";
  return u.toString().replace(/^http:/, "postgres:").replace(/\/$/, "");
}

/** `text` with every password in a URL (`scheme://user:secret@`) and `password=` pair replaced by `***`. */
export function redact(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/gi, "$1:***@")
    .replace(/(password\s*=\s*)('[^']*'|\S+)/gi, "$1***");
}

/** The password libpq would find in a pgpass file for this connection, or undefined. */
export function pgpassLookup(
  text: string,
  c: { host: string; port: string; database: string; user: string },
): string | undefined {
  for (const raw of text.split(/\r?\n/)) {
    if (!raw || raw.startsWith("#")) continue;
    const fields: string[] = [];
    let cur = "";
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] === "\\" && i + 1 < raw.length) cur += raw[++i];
      else if (raw[i] === ":") {
        fields.push(cur);
        cur = "";
      } else cur += raw[i];
    }
    fields.push(cur);
    if (fields.length < 5) continue;
    const [h, p, d, u, pw] = fields;
    const ok = (pat: string, v: string) => pat === "*" || pat === v;
    if (ok(h, c.host) && ok(p, c.port) && ok(d, c.database) && ok(u, c.user)) return pw;
  }
  return undefined;
}

/** The password for `url` from the URL, `PGPASSWORD`, or the pgpass file (`PGPASSFILE` or `~/.pgpass`). */
export function passwordFor(url: string): string | undefined {
  const u = new URL(url.replace(/^postgres(ql)?:/i, "http:"));
  if (u.password) return decodeURIComponent(u.password);
  const env = Deno.env.get("PGPASSWORD");
  if (env) return env;
  const file = Deno.env.get("PGPASSFILE") ?? (Deno.env.get("HOME") ? `${Deno.env.get("HOME")}/.pgpass` : "");
  if (!file) return undefined;
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch {
    return undefined;
  }
  return pgpassLookup(text, {
    host: u.hostname,
    port: u.port || "5432",
    database: decodeURIComponent(u.pathname.slice(1)) || decodeURIComponent(u.username),
    user: decodeURIComponent(u.username) || Deno.env.get("PGUSER") || "",
  });
}

/** postgres.js options for `url`: short connect timeout, no notices on stdout, password as libpq finds it. */
export function clientOptions(url: string) {
  return {
    connect_timeout: 3,
    idle_timeout: 30,
    onnotice: () => {},
    pass: passwordFor(url),
    connection: { application_name: "zpm" },
  };
}
