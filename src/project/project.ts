/**
 * An open zpm project: its mount manifest and the knowledge bases of its memories (each with its own engine and journal).
 * Memories are booted on first use, so a one-shot CLI command pays only for the memory it touches.
 */
import { join } from "node:path";
import type { ProgressListener } from "../core/progress.ts";
import { KnowledgeBase } from "../core/knowledge_base.ts";
import { storeUrlWithoutPassword } from "../persistence/pg_url.ts";
import type { Limits } from "../core/limits.ts";
import {
  isMemoryName,
  MAX_MANIFEST_BYTES,
  migrateEntries,
  type MountEntry,
  parseManifest,
  recoverEntries,
  writeManifest,
} from "./manifest.ts";
import { ensurePrivateDir, ensurePrivateDirSync, isLinkSync, openNoFollow } from "../io/safe_files.ts";
import {
  checkAccess,
  confinementProblem,
  DEFAULT_MEMORY,
  defaultEntry,
  globalKbDir,
  isDefaultMemory,
  isUserManaged,
  locate,
  memoryDir,
  MemoryError,
  needsExistingDir,
  placeMemory,
  portableEntry,
  projectDirsToCreate,
  storeUrlFor,
} from "./memory_location.ts";
import { isDir, type ProjectPaths, projectPaths, userDataDir } from "./root.ts";

/**
 * How long the process lives: a `server` keeps engines in killable child processes (hard deadline),
 * boots the default memory at start and keeps changes in memory while the disk is not writable; a
 * `one-shot` CLI command boots only what it touches and refuses changes it cannot save; `warm` is the
 * warm engine answering CLI commands (src/daemon/): booted like a server, answering like one-shot
 * commands, and left open by {@link Project.close} (its {@link Project.shutdown} closes it).
 */
export type Runtime = "server" | "one-shot" | "warm";

/** Options for opening a project. */
export interface OpenOptions {
  /** The project root (holding `.zpm/`). */
  root: string;
  /** Server or one-shot command. */
  runtime: Runtime;
  limits: Limits;
  version: string;
  log: (message: string) => void;
}

/** A memory as `list_memories` shows it. */
export interface MemoryInfo extends MountEntry {
  mounted: boolean;
  /** Set when the directory is missing ("directory missing") or the entry is refused ("refused: <why>"). */
  problem?: string;
}

/** An open project. */
export class Project {
  private entries: MountEntry[] = [];
  private kbs = new Map<string, Promise<KnowledgeBase>>();
  private manifestStamp = "";
  /** Entries zpm refuses to use (name → why), from {@link confinementProblem}. */
  private refused = new Map<string, string>();
  /** A problem with mounts.json found at boot (reported by list_memories and get_persistence_status). */
  manifestProblem: string | null = null;

  private constructor(
    readonly paths: ProjectPaths,
    readonly opts: OpenOptions,
  ) {}

  /** Resource limits of this process. */
  get limits(): Limits {
    return this.opts.limits;
  }

  /** zpm's version. */
  get version(): string {
    return this.opts.version;
  }

  /** Create missing directories (best effort), load the manifest, and (for serve) boot default. */
  static async open(opts: OpenOptions): Promise<Project> {
    const paths = projectPaths(opts.root);
    for (const d of projectDirsToCreate(paths)) {
      try {
        ensurePrivateDirSync(d, paths.root);
      } catch { /* a read-only tree degrades persistence, a link is refused below; boot goes on */ }
    }
    const project = new Project(paths, opts);
    await project.loadManifest(true);
    // The warm engine boots default ahead of its first command too; a failure is that command's answer.
    const boot = opts.runtime === "one-shot" ? null : project.memory(DEFAULT_MEMORY);
    await (opts.runtime === "server" ? boot : boot?.catch(() => {}));
    return project;
  }

  private stamp(): string {
    try {
      const st = Deno.statSync(this.paths.manifest);
      return `${st.mtime?.getTime()}:${st.size}:${st.ino}`;
    } catch {
      return "missing";
    }
  }

  /** Read mounts.json; migrate when absent; keep and report a corrupt one. */
  private async loadManifest(atBoot: boolean): Promise<void> {
    const stamp = this.stamp();
    let text: string | null = null;
    if (isLinkSync(this.paths.manifest)) {
      this.manifestProblem =
        `${this.paths.manifest} is a symbolic link; zpm does not read or write the manifest through links, so only the default memory is mounted. Replace the link with a regular file.`;
      this.opts.log(`zpm: ${this.manifestProblem}`);
      await this.applyEntries([defaultEntry()], stamp, atBoot);
      return;
    }
    try {
      const st = Deno.statSync(this.paths.manifest);
      text = st.size > MAX_MANIFEST_BYTES ? "" : Deno.readTextFileSync(this.paths.manifest);
      if (st.size > MAX_MANIFEST_BYTES) throw new Error("manifest is larger than 1 MiB");
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) text = text ?? "";
    }
    let entries: MountEntry[];
    if (text === null) {
      entries = migrateEntries(this.paths.kbDir, []);
      await this.saveManifest(entries, "migrated");
    } else {
      try {
        entries = parseManifest(text);
      } catch (e) {
        const backup = `${this.paths.manifest}.corrupt-${Math.floor(Date.now() / 1000)}`;
        const recovered = recoverEntries(text);
        try {
          Deno.renameSync(this.paths.manifest, backup);
        } catch { /* keep going */ }
        const why = (e as Error).message.replace(/\s+/g, " ");
        this.manifestProblem =
          `.zpm/mounts.json was corrupt (${why}); kept as ${backup}; recovered ${recovered.length} entr${
            recovered.length === 1 ? "y" : "ies"
          } (modes and global mounts included)`;
        this.opts.log(`zpm: ${this.manifestProblem}`);
        entries = migrateEntries(this.paths.kbDir, recovered);
        await this.saveManifest(entries, "repaired");
      }
    }
    if (!entries.some((e) => isDefaultMemory(e.name))) entries.unshift(defaultEntry());
    await this.applyEntries(entries, stamp, atBoot);
  }

  /** Adopt `entries`: check where each may live, drop engines of changed mounts, report at boot. */
  private async applyEntries(entries: MountEntry[], stamp: string, atBoot: boolean): Promise<void> {
    this.refused = this.confine(entries);
    // Drop engines of memories that were unmounted, re-pointed elsewhere or refused by another process.
    const dirs = new Map(entries.map((e) => [e.name, this.dirOf(e)]));
    for (const [name, kb] of this.kbs) {
      const old = this.entry(name);
      if (!dirs.has(name) || this.refused.has(name) || (old && this.dirOf(old) !== dirs.get(name))) {
        this.kbs.delete(name);
        await (await kb.catch(() => null))?.close();
      }
    }
    this.entries = entries;
    this.manifestStamp = this.stamp() || stamp;
    if (atBoot) {
      for (const e of entries) {
        const refused = this.refused.get(e.name);
        if (refused) this.opts.log(`zpm: ${refused}`);
        else if (needsExistingDir(e.name) && !isDir(this.dirOf(e))) {
          this.opts.log(`zpm: skipping missing mount '${e.name}' (${this.dirOf(e)} does not exist)`);
        }
      }
    }
  }

  private async saveManifest(entries: MountEntry[], why: string): Promise<void> {
    try {
      await writeManifest(this.paths.manifest, entries.map((e) => portableEntry(e)));
      this.manifestStamp = this.stamp();
    } catch (e) {
      this.opts.log(`zpm: could not write ${this.paths.manifest} (${why}): ${(e as Error).message}`);
      throw e;
    }
  }

  /** Pick up manifest changes made by other processes (cheap stat when nothing changed). */
  async refresh(): Promise<void> {
    if (this.stamp() !== this.manifestStamp) await this.loadManifest(false);
  }

  /** Directory of a memory entry. */
  dirOf(e: MountEntry): string {
    return memoryDir(this.paths, e);
  }

  /** The manifest entry of a mounted memory. */
  entry(name: string): MountEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /**
   * The knowledge base of `name` for reading or writing, after picking up manifest changes.
   * Throws MemoryError when it is not mounted, is read-only for a write, or its directory is missing.
   */
  async use(name: string, access: "read" | "write", listener?: ProgressListener): Promise<KnowledgeBase> {
    await this.refresh();
    const entry = this.entry(name);
    if (!entry) throw new MemoryError("not-mounted", `Memory not mounted: ${name}`);
    checkAccess(entry, access);
    return await this.memory(name, listener);
  }

  /** The knowledge base of a mounted memory, booted on first use (boot progress to `listener`). */
  memory(name = DEFAULT_MEMORY, listener?: ProgressListener): Promise<KnowledgeBase> {
    const e = this.entry(name);
    if (!e) return Promise.reject(new MemoryError("not-mounted", `Memory not mounted: ${name}`));
    let kb = this.kbs.get(name);
    const refused = this.refused.get(name);
    if (refused) return Promise.reject(new MemoryError("refused", `Memory refused: ${name}: ${refused}`));
    if (!kb) {
      if (needsExistingDir(name) && !isDir(this.dirOf(e))) {
        return Promise.reject(
          new MemoryError("missing", `Memory directory not found: ${name} (${this.dirOf(e)})`),
        );
      }
      kb = this.bootMemory(e, listener);
      this.kbs.set(name, kb);
      kb.catch(() => this.kbs.delete(name));
    }
    return kb;
  }

  private async bootMemory(e: MountEntry, listener?: ProgressListener): Promise<KnowledgeBase> {
    const { runtime } = this.opts, server = runtime === "server", url = storeUrlFor(e);
    // The database client loads only for a memory that lives in a database.
    const pg = url ? (await import("../persistence/pg_store.ts")).PgJournalStore : null;
    // One-shot commands also get the killable child engine (the deadline holds) unless ZPM_CLI_INPROCESS=1.
    const inprocess = runtime === "one-shot" && Deno.env.get("ZPM_CLI_INPROCESS") === "1";
    return await KnowledgeBase.open({
      ...locate(this.paths, e),
      store: pg && url ? new pg(url, e.name, { listen: server }) : undefined,
      engineMode: inprocess ? "inprocess" : "process",
      afterFailure: server ? "rebuild" : runtime === "warm" ? "quiet-rebuild" : "end",
      limits: this.opts.limits,
      log: this.opts.log,
      allowMemoryOnly: server,
      groupCommit: server && Deno.env.get("ZPM_GROUP_COMMIT") !== "off",
    }, listener);
  }

  /** Resolves once every write of a booted memory that was answered, or may be, is durable (see GroupCommit). */
  async barrier(): Promise<void> {
    // race: a memory still booting has written nothing yet (an already settled promise wins over null).
    for (const kb of this.kbs.values()) await (await Promise.race([kb, null]).catch(() => null))?.barrier();
  }

  /** Booted knowledge bases (for scans across memories). */
  async mountedMemories(): Promise<{ entry: MountEntry; kb: KnowledgeBase }[]> {
    const out = [];
    for (const entry of this.entries) {
      try {
        out.push({ entry, kb: await this.memory(entry.name) });
      } catch { /* missing directory: reported elsewhere */ }
    }
    return out;
  }

  private async updateManifest(change: (entries: MountEntry[]) => MountEntry[]): Promise<void> {
    await this.refresh();
    const next = change(this.entries.map((e) => ({ ...e })));
    await this.saveManifest(next, "update");
    this.entries = next;
    this.refused = this.confine(next);
  }

  /** The entries zpm refuses to use (name → why); see {@link confinementProblem}. */
  private confine(entries: MountEntry[]): Map<string, string> {
    const refused = new Map<string, string>();
    for (const e of entries) {
      const problem = confinementProblem(this.paths, e);
      if (problem) refused.set(e.name, problem);
    }
    return refused;
  }

  /** create_memory: make the directory and knowledge.pl, and record it (mounted) in the manifest. */
  async createMemory(name: string, scope: "project" | "global"): Promise<void> {
    if (!isMemoryName(name) || !isUserManaged(name)) {
      throw new MemoryError("invalid", `Invalid memory name: ${name}`);
    }
    const { path, dir } = placeMemory(this.paths, name, scope);
    if (isDir(dir)) throw new MemoryError("exists", `Memory already exists: ${name}`);
    const base = scope === "global" ? userDataDir() : this.paths.zpmDir;
    await ensurePrivateDir(dir, base);
    (await openNoFollow(join(dir, "knowledge.pl"), { write: true, createNew: true })).close();
    try {
      await this.updateManifest((
        es,
      ) => [...es.filter((e) => e.name !== name), { name, path, scope, mode: "rw" }]);
    } catch (e) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw e;
    }
  }

  /** mount_memory: mount (or change the mode of) a memory whose directory exists. */
  async mountMemory(name: string, mode: "rw" | "ro", scope: "project" | "global"): Promise<MountEntry> {
    if (!isMemoryName(name)) throw new MemoryError("invalid", `Failed to mount memory: ${name}`);
    await this.refresh();
    const current = this.entry(name);
    if (current) {
      if (current.mode !== mode && isUserManaged(name)) {
        await this.updateManifest((es) => es.map((e) => (e.name === name ? { ...e, mode } : e)));
      }
      return this.entry(name)!;
    }
    const { path, dir } = placeMemory(this.paths, name, scope);
    if (!isDir(dir)) throw new MemoryError("missing", `Memory directory not found: ${name}`);
    await this.updateManifest((es) => [...es, { name, path, scope, mode }]);
    try {
      await this.memory(name);
    } catch (e) {
      await this.updateManifest((es) => es.filter((x) => x.name !== name));
      throw new MemoryError("invalid", `Failed to mount memory: ${name} (${(e as Error).message})`);
    }
    return this.entry(name)!;
  }

  /** unmount_memory: stop using a memory; its directory stays. */
  async unmountMemory(name: string): Promise<void> {
    if (!isUserManaged(name)) throw new MemoryError("invalid", "Cannot unmount the default memory");
    await this.refresh();
    if (!this.entry(name)) throw new MemoryError("not-mounted", `Memory not mounted: ${name}`);
    const kb = this.kbs.get(name);
    this.kbs.delete(name);
    if (kb) await (await kb).close();
    await this.updateManifest((es) => es.filter((e) => e.name !== name));
  }

  /** Mounted memories plus memories on disk (project kb/ and the global directory) that are not. */
  async listMemories(): Promise<MemoryInfo[]> {
    await this.refresh();
    const out: MemoryInfo[] = this.entries.map((e) => ({
      ...e,
      mounted: true,
      problem: this.refused.has(e.name)
        ? `refused: ${this.refused.get(e.name)}`
        : needsExistingDir(e.name) && !isDir(this.dirOf(e))
        ? "directory missing"
        : undefined,
    }));
    const seen = new Set(out.map((e) => e.name));
    const scan = (base: string, scope: "project" | "global") => {
      try {
        for (const d of [...Deno.readDirSync(base)].sort((a, b) => a.name.localeCompare(b.name))) {
          if (!d.isDirectory || !isMemoryName(d.name) || seen.has(d.name)) continue;
          seen.add(d.name);
          const { path } = placeMemory(this.paths, d.name, scope);
          out.push({ name: d.name, path, scope, mode: "rw", mounted: false });
        }
      } catch { /* missing */ }
    };
    scan(this.paths.kbDir, "project");
    try {
      scan(globalKbDir(), "global");
    } catch { /* no home */ }
    return out;
  }

  /** Record that memory `name` keeps its journal in the database at `url` (stored without password). */
  async setMemoryStore(name: string, url: string): Promise<void> {
    const store = storeUrlWithoutPassword(url);
    await this.updateManifest((es) => es.map((e) => (e.name === name ? { ...e, store } : e)));
  }

  /** Stop every engine (a warm project stays open: see {@link shutdown}). */
  async close(): Promise<void> {
    if (this.opts.runtime !== "warm") await this.shutdown();
  }

  /** Stop every engine, also a warm project's. */
  async shutdown(): Promise<void> {
    for (const kb of this.kbs.values()) {
      try {
        await (await kb).close();
      } catch { /* failed boot */ }
    }
    this.kbs.clear();
  }
}
