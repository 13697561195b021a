/**
 * Opening and creating files without following symbolic links. A project's `.zpm/` comes with the
 * repository it lives in, so any name in it may be a link planted to make zpm write elsewhere.
 * Every file zpm writes, truncates, renames or deletes goes through these helpers:
 *
 * - the directory the file lives in must be a real directory (`lstat`), not a link;
 * - an existing file must be a regular file (`lstat`), not a link;
 * - a missing file is created with `createNew` (`O_CREAT|O_EXCL`, which never follows a link);
 * - after opening, the open file's device and inode must be the ones `lstat` saw, so a swap between
 *   the check and the open is caught before a byte is written.
 *
 * Files are created 0600 and directories 0700 (the umask can only make them stricter).
 *
 * @module
 */
import { dirname, join, relative, sep } from "node:path";
import { JournalWriteError } from "./write_error.ts";

/** Mode of every file zpm creates: owner read/write only. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of every directory zpm creates: owner only. */
export const PRIVATE_DIR_MODE = 0o700;

/** A path zpm was asked to write is a symbolic link or not what it should be; nothing was written. */
export class UnsafePathError extends JournalWriteError {
  /** Build the error; the message names the path and what to do. */
  constructor(message: string) {
    super(message);
    this.name = "UnsafePathError";
  }
}

/** `lstat` of `path`, or null when nothing (not even a dangling link) is there. */
export async function lstatOrNull(path: string): Promise<Deno.FileInfo | null> {
  return await Promise.resolve(lstatOrNullSync(path));
}

// The checks below are made with synchronous calls: each is one short metadata syscall, and Deno's
// asynchronous file calls cost ~40-60 µs each (a thread-pool hop and an fd dup) — a large share of a
// durable write, which makes about a dozen of them.

function lstatOrNullSync(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

function linkError(path: string, what: string): UnsafePathError {
  return new UnsafePathError(
    `${path} is a symbolic link; zpm does not ${what} through links (a project's .zpm/ may come from someone else). ` +
      `Nothing was written. Replace the link with a regular ${
        what === "create files in" ? "directory" : "file"
      } (or remove it) and retry.`,
  );
}

/** True when `path` is a symbolic link (false when missing). */
export function isLinkSync(path: string): boolean {
  try {
    return Deno.lstatSync(path).isSymlink;
  } catch {
    return false;
  }
}

/** Throw an {@link UnsafePathError} when `dir` is a symbolic link or exists but is not a directory. */
export async function assertRealDir(dir: string): Promise<void> {
  await Promise.resolve(assertRealDirSync(dir));
}

function assertRealDirSync(dir: string): void {
  const st = lstatOrNullSync(dir);
  if (st?.isSymlink) throw linkError(dir, "create files in");
  if (st && !st.isDirectory) {
    throw new UnsafePathError(`${dir} is not a directory; nothing was written. Move it away and retry.`);
  }
}

/**
 * `lstat` of the file at `path`: null when missing; throws {@link UnsafePathError} when it is a link
 * or not a regular file, and when its directory is a link.
 */
export async function checkFile(path: string, what = "write"): Promise<Deno.FileInfo | null> {
  return await Promise.resolve(checkFileSync(path, what));
}

function checkFileSync(path: string, what: string): Deno.FileInfo | null {
  assertRealDirSync(dirname(path));
  const st = lstatOrNullSync(path);
  if (st?.isSymlink) throw linkError(path, what);
  if (st && !st.isFile) {
    throw new UnsafePathError(
      `${path} is not a regular file; zpm will not ${what} it. Move it away and retry.`,
    );
  }
  return st;
}

function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * Open `path` without following a link. With `create`, a missing file is created exclusively
 * (mode 0600 unless `mode` is given); `truncate` is not supported (truncate after opening).
 * Throws `Deno.errors.NotFound` when the file is missing and `create` is not set, and
 * {@link UnsafePathError} when the path or its directory is a link, or the file changed between the
 * check and the open.
 */
export async function openNoFollow(path: string, options: Deno.OpenOptions): Promise<Deno.FsFile> {
  return (await openChecked(path, options)).file;
}

/** {@link openNoFollow}, also giving the `fstat` of the opened file that the check made (no extra stat). */
export async function openChecked(
  path: string,
  options: Deno.OpenOptions,
): Promise<{ file: Deno.FsFile; info: Deno.FileInfo }> {
  return await Promise.resolve(openCheckedSync(path, options));
}

function openCheckedSync(
  path: string,
  options: Deno.OpenOptions,
): { file: Deno.FsFile; info: Deno.FileInfo } {
  if (options.truncate) throw new Error("openNoFollow: truncate after the open is checked");
  const want = options.write || options.append ? "write" : "read";
  for (let attempt = 0;; attempt++) {
    const before = checkFileSync(path, want);
    let file: Deno.FsFile;
    if (!before) {
      if (!options.create && !options.createNew) throw new Deno.errors.NotFound(`${path} does not exist`);
      try {
        file = Deno.openSync(path, {
          read: options.read,
          write: options.write,
          append: options.append,
          createNew: true,
          mode: options.mode ?? PRIVATE_FILE_MODE,
        });
      } catch (e) {
        // Created by someone else meanwhile: check it again (unless the caller wanted a new file).
        if (e instanceof Deno.errors.AlreadyExists && !options.createNew && attempt < 3) continue;
        throw e;
      }
    } else {
      if (options.createNew) throw new Deno.errors.AlreadyExists(`${path} already exists`);
      file = Deno.openSync(path, { read: options.read, write: options.write, append: options.append });
    }
    try {
      const opened = file.statSync();
      const now = lstatOrNullSync(path);
      if ((before && !sameFile(before, opened)) || !now || now.isSymlink || !sameFile(now, opened)) {
        throw new UnsafePathError(
          `${path} was replaced while zpm opened it (possibly by a symbolic link); nothing was written. Check the directory and retry.`,
        );
      }
      return { file, info: opened };
    } catch (e) {
      file.close();
      throw e;
    }
  }
}

/**
 * Create `path` and any missing parents below `base` as private (0700) directories, refusing a
 * link or a non-directory anywhere from `base` (exclusive) down to `path`. `base` itself and its
 * ancestors are trusted (the user's project root or data directory).
 */
export async function ensurePrivateDir(path: string, base: string): Promise<void> {
  const rel = relative(base, path);
  if (rel.startsWith("..") || rel.startsWith(sep)) {
    throw new UnsafePathError(`${path} is outside ${base}; zpm will not create it.`);
  }
  await Deno.mkdir(base, { recursive: true, mode: PRIVATE_DIR_MODE });
  let dir = base;
  for (const part of rel.split(sep).filter((p) => p !== "" && p !== ".")) {
    dir = join(dir, part);
    const st = await lstatOrNull(dir);
    if (!st) {
      try {
        await Deno.mkdir(dir, { mode: PRIVATE_DIR_MODE });
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      }
    }
    await assertRealDir(dir);
  }
}

/** Synchronous {@link ensurePrivateDir} for boot paths that cannot await. */
export function ensurePrivateDirSync(path: string, base: string): void {
  const rel = relative(base, path);
  if (rel.startsWith("..") || rel.startsWith(sep)) {
    throw new UnsafePathError(`${path} is outside ${base}; zpm will not create it.`);
  }
  Deno.mkdirSync(base, { recursive: true, mode: PRIVATE_DIR_MODE });
  let dir = base;
  for (const part of rel.split(sep).filter((p) => p !== "" && p !== ".")) {
    dir = join(dir, part);
    let st: Deno.FileInfo | null = null;
    try {
      st = Deno.lstatSync(dir);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      try {
        Deno.mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
      } catch (e2) {
        if (!(e2 instanceof Deno.errors.AlreadyExists)) throw e2;
      }
      st = Deno.lstatSync(dir);
    }
    if (st.isSymlink) throw linkError(dir, "create files in");
    if (!st.isDirectory) throw new UnsafePathError(`${dir} is not a directory; move it away and retry.`);
  }
}
