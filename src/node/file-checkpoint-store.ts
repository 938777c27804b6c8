import { createHash, randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { Checkpoint, CheckpointStore } from '../checkpoint/checkpoint-store';
import { CHECKPOINT_VERSION, validateCheckpoint } from '../checkpoint/validate-checkpoint';
import { PruneError } from '../errors';
import { hasErrorCode, nodeCheckpointFs, type CheckpointFs } from './checkpoint-fs';
import {
  BEST_DIR,
  CHECKPOINT_DIR,
  checkpointDirName,
  parsePointer,
  pointerText,
  POINTER_FILE,
  STATE_FILE,
  stepOfDirName,
  STATE_FORMAT,
  TEMP_ENTRY,
  type FileRecord,
  type StateRecord,
} from './checkpoint-layout';
import { decodeModelFiles, encodeModelFiles } from './model-files';

/**
 * Options of {@link fileCheckpointStore}.
 *
 * @example
 * ```ts
 * const options: FileCheckpointStoreOptions = { sync: false }; // a throwaway run on a RAM disk
 * ```
 */
export interface FileCheckpointStoreOptions {
  /**
   * Flush every file and directory to the disk (fsync) before a save resolves, so a checkpoint
   * also survives a power loss or an OS crash, not only a killed process. Turning it off makes
   * saves faster; a checkpoint damaged by a power loss is then detected by its checksums on
   * load (PruneError 'CHECKPOINT_INVALID'). Default: `true`.
   */
  sync?: boolean;
}

/**
 * A {@link CheckpointStore} that keeps the last checkpoint in a directory (Node only: entry point
 * `tfjs-prune/node`). Each checkpoint is a subdirectory `checkpoint-<step>-<id>` holding the
 * current model as an ordinary TF.js model directory (`model.json` + `weights.bin`, loadable
 * without tfjs-prune), the last-good model likewise under `best/`, and `state.json` (format
 * version, step, sizes and SHA-256s of the other files, the loop state). The file `CURRENT` names
 * the live checkpoint directory and holds the SHA-256 of its `state.json`, so every file of a
 * checkpoint is verified on load.
 *
 * Saves are atomic: a save writes the whole checkpoint into a new temporary directory, flushes
 * it, renames it to its final name, then replaces `CURRENT` by renaming a flushed temporary file
 * over it (one atomic rename), and only then deletes older checkpoint directories and leftovers
 * of interrupted saves. A process killed at any moment leaves `CURRENT` naming either the
 * previous checkpoint or the new one, both complete. One process at a time may write to a
 * directory; calls on one store run one after the other.
 *
 * `load()` returns `null` when the directory or `CURRENT` does not exist, and throws
 * PruneError('CHECKPOINT_INVALID'), naming the file, when the live checkpoint is damaged or of an
 * unknown format version. `save()` refuses a malformed checkpoint with the same code before
 * writing anything; I/O errors (a full disk, permissions) are Node's own errors, and the previous
 * checkpoint stays loadable. `clear()` deletes what the store wrote, and the directory if it is
 * then empty; other files in the directory are never touched.
 *
 * @example
 * ```ts
 * import { modelFromArtifacts, modelToArtifacts } from 'tfjs-prune';
 * import { fileCheckpointStore } from 'tfjs-prune/node';
 *
 * const store = fileCheckpointStore('out/run1');
 * await store.save({ version: 1, step: 1, model: await modelToArtifacts(model), state: { step: 1 } });
 * const last = await store.load(); // after a restart too
 * const restored = last === null ? null : await modelFromArtifacts(last.model);
 * ```
 */
export function fileCheckpointStore(directory: string, options: FileCheckpointStoreOptions = {}): CheckpointStore {
  return createFileCheckpointStore(directory, options, nodeCheckpointFs);
}

/**
 * {@link fileCheckpointStore} on the given file operations (tests use this to make a write fail
 * half-way through a save). Not part of the public API.
 *
 * @example
 * ```ts
 * const store = createFileCheckpointStore('out/run1', {}, { ...nodeCheckpointFs, rename: failingRename });
 * ```
 */
export function createFileCheckpointStore(directory: string, options: FileCheckpointStoreOptions, fs: CheckpointFs): CheckpointStore {
  if (typeof directory !== 'string' || directory.length === 0) {
    throw new PruneError('INVALID_OPTION', `fileCheckpointStore(directory): directory is ${JSON.stringify(directory)}, but a non-empty path was expected, e.g. 'out/run1'.`);
  }
  if (options === null || typeof options !== 'object' || (options.sync !== undefined && typeof options.sync !== 'boolean')) {
    throw new PruneError('INVALID_OPTION', `fileCheckpointStore options.sync is ${JSON.stringify(options?.sync)}, but true or false (the default, true) was expected.`);
  }
  const unknown = Object.keys(options).filter((k) => k !== 'sync');
  if (unknown.length > 0) throw new PruneError('INVALID_OPTION', `fileCheckpointStore: unknown option(s) ${unknown.join(', ')}; known options: sync.`);
  const dir = path.resolve(directory);
  const sync = options.sync ?? true;
  const at = (...parts: string[]): string => path.join(dir, ...parts);

  /** Throws the PruneError of a live checkpoint that cannot be read. */
  const fail = (file: string, problem: string, fix = 'it was changed or damaged after it was written (saves are atomic)'): never => {
    throw new PruneError(
      'CHECKPOINT_INVALID',
      `The checkpoint in '${dir}' cannot be read: ${at(file)} ${problem}. Probably ${fix}. ` +
        `To start the run over without it, delete the directory '${dir}' (or call clear() on its store).`,
    );
  };

  /**
   * The live checkpoint's directory name and state.json checksum, or null when there is no
   * pointer. Not `strict` (a save deciding what to keep): a pointer it cannot parse is null too.
   */
  async function livePointer(strict: boolean): Promise<{ name: string; stateSha256: string | null } | null> {
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(at(POINTER_FILE));
    } catch (e) {
      if (hasErrorCode(e, 'ENOENT', 'ENOTDIR')) return null;
      if (!strict) return null;
      return fail(POINTER_FILE, `cannot be read (${(e as Error).message})`, 'it is not readable by this process');
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      text = '\ufffd';
    }
    const pointer = parsePointer(text);
    if (pointer !== null) return pointer;
    if (!strict) {
      const name = text.split('\n')[0];
      return CHECKPOINT_DIR.test(name) ? { name, stateSha256: null } : null;
    }
    return fail(
      POINTER_FILE,
      `should hold two lines, the name of a checkpoint directory (checkpoint-<step>-<id>) and '<SHA-256>  ${STATE_FILE}', but holds ${JSON.stringify(text.slice(0, 120))}`,
    );
  }

  /** Deletes checkpoint directories other than `keep` and every leftover of an interrupted save; best effort. */
  async function removeStale(keep: string | null): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name === keep || !(CHECKPOINT_DIR.test(name) || TEMP_ENTRY.test(name))) continue;
      await fs.remove(at(name)).catch(() => undefined); // retried at the next save
    }
  }

  async function save(checkpoint: Checkpoint): Promise<void> {
    validateCheckpoint(checkpoint);
    const files = new Map<string, Uint8Array>();
    for (const [name, bytes] of Object.entries(encodeModelFiles(checkpoint.model))) files.set(name, bytes);
    if (checkpoint.best !== undefined) {
      for (const [name, bytes] of Object.entries(encodeModelFiles(checkpoint.best))) files.set(`${BEST_DIR}/${name}`, bytes);
    }
    const record: StateRecord = {
      format: STATE_FORMAT,
      version: CHECKPOINT_VERSION,
      step: checkpoint.step,
      savedAt: new Date().toISOString(),
      best: checkpoint.best !== undefined,
      files: Object.fromEntries([...files].map(([name, bytes]) => [name, { bytes: bytes.byteLength, sha256: sha256(bytes) }])),
      state: checkpoint.state,
    };
    const stateBytes = new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`);
    files.set(STATE_FILE, stateBytes);

    await fs.mkdir(dir);
    await removeStale((await livePointer(false))?.name ?? null);
    const id = randomBytes(4).toString('hex');
    const temp = at(`.tmp-${checkpoint.step}-${id}`);
    const final = checkpointDirName(checkpoint.step, id);
    const pointerTemp = at(`.tmp-${POINTER_FILE}-${id}`);
    let renamed = false;
    let switched = false;
    try {
      await fs.mkdir(temp);
      if (checkpoint.best !== undefined) await fs.mkdir(path.join(temp, BEST_DIR));
      for (const [name, bytes] of files) await fs.writeFile(path.join(temp, ...name.split('/')), bytes, sync);
      if (sync) {
        if (checkpoint.best !== undefined) await fs.syncDir(path.join(temp, BEST_DIR));
        await fs.syncDir(temp);
      }
      await fs.rename(temp, at(final));
      renamed = true;
      if (sync) await fs.syncDir(dir);
      await fs.writeFile(pointerTemp, new TextEncoder().encode(pointerText({ name: final, stateSha256: sha256(stateBytes) })), sync);
      await fs.rename(pointerTemp, at(POINTER_FILE)); // the switch
      switched = true;
      if (sync) await fs.syncDir(dir);
    } catch (e) {
      if (!switched) {
        // Undo what is not live; whatever this misses, the next save removes.
        for (const leftover of [temp, renamed ? at(final) : null, pointerTemp]) {
          if (leftover !== null) await fs.remove(leftover).catch(() => undefined);
        }
      }
      throw e;
    }
    await removeStale(final);
  }

  async function load(): Promise<Checkpoint | null> {
    const pointer = await livePointer(true);
    if (pointer === null) return null;
    const { name } = pointer;
    const read = async (file: string): Promise<Uint8Array> => {
      try {
        return await fs.readFile(at(name, ...file.split('/')));
      } catch (e) {
        const problem = hasErrorCode(e, 'ENOENT') ? 'is missing' : `cannot be read (${(e as Error).message})`;
        return fail(`${name}/${file}`, problem, hasErrorCode(e, 'ENOENT') ? 'the directory was changed after it was written (saves are atomic)' : 'it is not readable by this process');
      }
    };
    const stateBytes = await read(STATE_FILE);
    const failState = (problem: string, fix?: string): never => fail(`${name}/${STATE_FILE}`, problem, fix);
    if (sha256(stateBytes) !== pointer.stateSha256) {
      // A checkpoint of another format version is named as such; anything else is damage.
      const version = versionOf(stateBytes);
      if (version !== undefined && version !== CHECKPOINT_VERSION) parseRecord(stateBytes, failState);
      failState(`has ${stateBytes.byteLength} bytes and a SHA-256 other than the checksum recorded in ${at(POINTER_FILE)}`);
    }
    const record = parseRecord(stateBytes, failState);
    if (record.step !== stepOfDirName(name)) failState(`has step ${record.step}, but its directory's name says step ${stepOfDirName(name)}`);
    const verified = async (file: string): Promise<Uint8Array> => {
      const expected: FileRecord | undefined = record.files[file];
      if (expected === undefined) fail(`${name}/${STATE_FILE}`, `does not list '${file}', which the checkpoint needs`);
      const bytes = await read(file);
      if (bytes.byteLength !== expected.bytes || sha256(bytes) !== expected.sha256) {
        fail(`${name}/${file}`, `has ${bytes.byteLength} bytes and a SHA-256 other than the ${expected.bytes} bytes and checksum recorded in ${STATE_FILE}`);
      }
      return bytes;
    };
    const model = await decodeModelFiles(verified, (file, problem) => fail(`${name}/${file}`, problem));
    const best = record.best
      ? await decodeModelFiles(
          (file) => verified(`${BEST_DIR}/${file}`),
          (file, problem) => fail(`${name}/${BEST_DIR}/${file}`, problem),
        )
      : undefined;
    return { version: CHECKPOINT_VERSION, step: record.step, model, ...(best !== undefined ? { best } : {}), state: record.state };
  }

  async function clear(): Promise<void> {
    await fs.remove(at(POINTER_FILE)); // from here on there is no checkpoint
    if (sync) await fs.syncDir(dir).catch((e) => (hasErrorCode(e, 'ENOENT') ? undefined : Promise.reject(e)));
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (e) {
      if (hasErrorCode(e, 'ENOENT')) return;
      throw e;
    }
    for (const n of names) {
      if (CHECKPOINT_DIR.test(n) || TEMP_ENTRY.test(n)) await fs.remove(at(n));
    }
    await fs.removeEmptyDir(dir).catch((e) => (hasErrorCode(e, 'ENOTEMPTY', 'EEXIST', 'ENOENT') ? undefined : Promise.reject(e)));
  }

  // One operation at a time: a load never sees a clear half done, two saves never interleave.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const run = queue.then(op, op);
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    save: (checkpoint) => serial(() => save(checkpoint)),
    load: () => serial(load),
    clear: () => serial(clear),
  };
}

/** The `version` field of a tfjs-prune `state.json`, or undefined when it is not one. */
function versionOf(bytes: Uint8Array): unknown {
  try {
    const record = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Partial<StateRecord> | null;
    return record !== null && typeof record === 'object' && record.format === STATE_FORMAT ? record.version : undefined;
  } catch {
    return undefined;
  }
}

/** Parses and checks `state.json`; `fail(problem, fix?)` throws. */
function parseRecord(bytes: Uint8Array, fail: (problem: string, fix?: string) => never): StateRecord {
  let record: StateRecord;
  try {
    record = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as StateRecord;
  } catch (e) {
    return fail(`is not valid JSON (${(e as Error).message})`);
  }
  if (record === null || typeof record !== 'object' || record.format !== STATE_FORMAT) {
    fail(`is not a tfjs-prune checkpoint record (no "format": "${STATE_FORMAT}")`);
  }
  if (record.version !== CHECKPOINT_VERSION) {
    fail(
      `has checkpoint format version ${JSON.stringify(record.version)}, but this tfjs-prune reads version ${CHECKPOINT_VERSION} only`,
      'it was written by another (newer) version of tfjs-prune: resume it with that version',
    );
  }
  if (!Number.isInteger(record.step) || record.step < 0) fail(`has step ${JSON.stringify(record.step)}, but an integer >= 0 was expected`);
  const files = record.files as unknown;
  if (files === null || typeof files !== 'object' || typeof record.best !== 'boolean') fail('has no valid "files" and "best" fields');
  return record;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
