/**
 * Names and the `state.json` record of the file checkpoint store's directory layout:
 *
 * ```
 * <directory>/
 *   CURRENT                          the name of the live checkpoint directory, and the SHA-256 of its state.json
 *   checkpoint-000003-1a2b3c4d/      the live checkpoint (step 3)
 *     state.json                     format, version, step, file sizes and SHA-256s, loop state
 *     model.json, weights.bin        the current model, a TF.js LayersModel directory
 *     best/model.json, best/weights.bin   the last model that met every bound (when there is one)
 *   .tmp-...                         a save in progress, or left by a crash; ignored, removed by the next save
 * ```
 */

/**
 * The pointer file naming the live checkpoint directory (first line) and holding the SHA-256 of
 * that directory's `state.json` (second line, `<hex>  state.json`, as `sha256sum` prints it).
 *
 * @example
 * ```ts
 * fs.readFileSync(path.join(dir, POINTER_FILE), 'utf8').split('\n')[0]; // 'checkpoint-000003-1a2b3c4d'
 * ```
 */
export const POINTER_FILE = 'CURRENT';
/**
 * The loop state and the integrity record of one checkpoint directory.
 *
 * @example
 * ```ts
 * path.join(dir, 'checkpoint-000003-1a2b3c4d', STATE_FILE);
 * ```
 */
export const STATE_FILE = 'state.json';
/**
 * The subdirectory holding the last-good model.
 *
 * @example
 * ```ts
 * path.join(checkpointDir, BEST_DIR, 'model.json');
 * ```
 */
export const BEST_DIR = 'best';
/**
 * `format` field of every `state.json`, so a stray JSON file is not taken for a checkpoint.
 *
 * @example
 * ```ts
 * if (record.format !== STATE_FORMAT) throw new Error('not a checkpoint');
 * ```
 */
export const STATE_FORMAT = 'tfjs-prune checkpoint';

/**
 * A complete checkpoint directory: `checkpoint-<step>-<8 hex digits>`.
 *
 * @example
 * ```ts
 * CHECKPOINT_DIR.test('checkpoint-000003-1a2b3c4d'); // true
 * ```
 */
export const CHECKPOINT_DIR = /^checkpoint-\d+-[0-9a-f]{8}$/;
/**
 * What a save writes before its switch: `.tmp-<step>-<hex>` directories and `.tmp-CURRENT-<hex>` pointer files.
 *
 * @example
 * ```ts
 * TEMP_ENTRY.test('.tmp-4-0d2e77b1'); // true
 * ```
 */
export const TEMP_ENTRY = /^\.tmp-(\d+|CURRENT)-[0-9a-f]{8}$/;

/**
 * Size and SHA-256 (hex) of one file of a checkpoint, as recorded in `state.json`.
 *
 * @example
 * ```ts
 * const entry: FileRecord = { bytes: 57640, sha256: '04aa...' };
 * ```
 */
export interface FileRecord {
  bytes: number;
  sha256: string;
}

/**
 * The content of `state.json`.
 *
 * @example
 * ```ts
 * const record: StateRecord = { format: STATE_FORMAT, version: 1, step: 3, savedAt: new Date().toISOString(), best: false, files: {}, state: { step: 3 } };
 * ```
 */
export interface StateRecord {
  /** Always {@link STATE_FORMAT}. */
  format: string;
  /** Checkpoint format version (1). */
  version: number;
  /** Completed pruning steps. */
  step: number;
  /** When the checkpoint was written (ISO 8601), for people looking at the directory. */
  savedAt: string;
  /** Whether `best/` holds a last-good model. */
  best: boolean;
  /** Every other file of the checkpoint directory, by path relative to it ('model.json', 'best/weights.bin'). */
  files: Record<string, FileRecord>;
  /** The loop's state; absent when it was `undefined`. */
  state?: unknown;
}

/**
 * `checkpoint-<step, 6 digits at least>-<id>` for step and id.
 *
 * @example
 * ```ts
 * checkpointDirName(3, '1a2b3c4d'); // 'checkpoint-000003-1a2b3c4d'
 * ```
 */
export function checkpointDirName(step: number, id: string): string {
  return `checkpoint-${String(step).padStart(6, '0')}-${id}`;
}

/**
 * What a checkpoint directory's pointer says: the live directory's name and the SHA-256 (hex) of
 * its `state.json`, so that every file of a checkpoint is verified, `state.json` included.
 *
 * @example
 * ```ts
 * const pointer: Pointer = { name: 'checkpoint-000003-1a2b3c4d', stateSha256: 'c3e0...' };
 * ```
 */
export interface Pointer {
  name: string;
  stateSha256: string;
}

const POINTER_TEXT = /^(checkpoint-\d+-[0-9a-f]{8})\n([0-9a-f]{64}) {2}state\.json\n$/;

/**
 * The content of the pointer file: two lines, the directory's name and `<sha256>  state.json`.
 *
 * @example
 * ```ts
 * pointerText({ name: 'checkpoint-000003-1a2b3c4d', stateSha256: 'ab'.repeat(32) }); // 'checkpoint-000003-1a2b3c4d\nabab...  state.json\n'
 * ```
 */
export function pointerText(pointer: Pointer): string {
  return `${pointer.name}\n${pointer.stateSha256}  ${STATE_FILE}\n`;
}

/**
 * Parses the pointer file's content; `null` unless it is exactly what {@link pointerText} writes
 * (any other byte, a cut, a missing checksum line is refused).
 *
 * @example
 * ```ts
 * parsePointer('checkpoint-000003-1a2b3c4d\n'); // null: no checksum of state.json
 * ```
 */
export function parsePointer(text: string): Pointer | null {
  const m = POINTER_TEXT.exec(text);
  return m === null ? null : { name: m[1], stateSha256: m[2] };
}

/**
 * The step a checkpoint directory's name carries (`checkpoint-000003-...` -> 3).
 *
 * @example
 * ```ts
 * stepOfDirName('checkpoint-000003-1a2b3c4d'); // 3
 * ```
 */
export function stepOfDirName(name: string): number {
  return Number(name.split('-')[1]);
}
