import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

/**
 * The file operations the file checkpoint store uses, as one small object so tests can make any
 * of them fail (a crash half-way through a save) without touching the real file system. Paths are
 * absolute or relative to the working directory; errors are Node's (with `code` 'ENOENT'...).
 *
 * @example
 * ```ts
 * const failing: CheckpointFs = { ...nodeCheckpointFs, rename: async () => { throw new Error('crash'); } };
 * ```
 */
export interface CheckpointFs {
  /** Creates `dir` and its missing parents. */
  mkdir(dir: string): Promise<void>;
  /** The whole content of a file. */
  readFile(file: string): Promise<Uint8Array>;
  /** The names in a directory. */
  readdir(dir: string): Promise<string[]>;
  /** Renames `from` to `to`, atomically replacing a file at `to`. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file or a directory tree; nothing when it does not exist. */
  remove(target: string): Promise<void>;
  /** Removes a directory if it is empty; rejects with ENOTEMPTY otherwise. */
  removeEmptyDir(dir: string): Promise<void>;
  /** Creates or truncates `file` and writes `data`; with `sync`, flushes it to the disk (fsync) before resolving. */
  writeFile(file: string, data: Uint8Array, sync: boolean): Promise<void>;
  /** Flushes a directory's entries (new names, renames) to the disk; a no-op where directories cannot be opened (Windows). */
  syncDir(dir: string): Promise<void>;
}

/**
 * {@link CheckpointFs} on Node's `fs/promises`.
 *
 * @example
 * ```ts
 * await nodeCheckpointFs.writeFile('out/a.bin', new Uint8Array([1, 2]), true); // written and fsynced
 * ```
 */
export const nodeCheckpointFs: CheckpointFs = {
  async mkdir(dir) {
    await fsp.mkdir(dir, { recursive: true });
  },
  async readFile(file) {
    return fsp.readFile(file);
  },
  async readdir(dir) {
    return fsp.readdir(dir);
  },
  async rename(from, to) {
    await fsp.rename(from, to);
  },
  async remove(target) {
    await fsp.rm(target, { recursive: true, force: true });
  },
  async removeEmptyDir(dir) {
    await fsp.rmdir(dir);
  },
  async writeFile(file, data, sync) {
    const handle = await fsp.open(file, 'w');
    try {
      await handle.writeFile(data);
      if (sync) await handle.sync();
    } finally {
      await handle.close();
    }
  },
  async syncDir(dir) {
    let handle: fsp.FileHandle | undefined;
    try {
      handle = await fsp.open(path.resolve(dir), 'r');
      await handle.sync();
    } catch (e) {
      // Windows cannot open or fsync a directory (EISDIR, EPERM); its renames are durable anyway.
      const code = (e as NodeJS.ErrnoException).code;
      if (!(process.platform === 'win32' || code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL')) throw e;
    } finally {
      await handle?.close();
    }
  },
};

/**
 * Whether `e` is a Node error with one of these `code`s.
 *
 * @example
 * ```ts
 * try { await fsp.readFile(file); } catch (e) { if (!hasErrorCode(e, 'ENOENT')) throw e; }
 * ```
 */
export function hasErrorCode(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes((e as NodeJS.ErrnoException).code ?? '');
}
