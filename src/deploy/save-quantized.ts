import * as tf from '@tensorflow/tfjs';
import { modelToArtifacts } from '../checkpoint/model-artifacts';
import { PruneError } from '../errors';
import { assertLayersModel } from '../model/assert-layers-model';
import { quantizeArtifacts, type StorageDtype, type StoredTensor } from './quantize-artifacts';

/**
 * Options of {@link saveQuantized}.
 *
 * @example
 * ```ts
 * const options: SaveQuantizedOptions = { dtype: 'uint8', minElements: 1024 };
 * ```
 */
export interface SaveQuantizedOptions {
  /**
   * How float32 weights are stored: `'uint8'` (1 byte per value), `'uint16'` or `'float16'`
   * (2 bytes), or `'float32'` (as `model.save`). Required.
   */
  dtype: StorageDtype;
  /** Float32 tensors with fewer values than this stay float32 (biases, small layers). Default: 256. */
  minElements?: number;
}

/**
 * What {@link saveQuantized} did: the IO handler's own result, and how each weight was stored.
 *
 * @example
 * ```ts
 * const { weightBytes, tensors }: SaveQuantizedResult = await saveQuantized(model, 'downloads://pruned', { dtype: 'float16' });
 * ```
 */
export interface SaveQuantizedResult {
  /** What the IO handler returned (`model.save` returns the same kind of value). */
  saved: tf.io.SaveResult;
  /** Bytes of the weights file(s). */
  weightBytes: number;
  /** Every weight in manifest order, with its stored dtype and size (and why it was kept at full precision). */
  tensors: StoredTensor[];
}

const DTYPES: readonly StorageDtype[] = ['float32', 'float16', 'uint16', 'uint8'];
export const DEFAULT_MIN_ELEMENTS = 256;

/** Checks the options (shared with the loop's deploy step). */
export function checkStorage(options: unknown, where: string): { dtype: StorageDtype; minElements: number } {
  if (options === null || typeof options !== 'object') {
    throw new PruneError('INVALID_OPTION', `${where}: options must be { dtype }, e.g. { dtype: 'uint8' }; got ${String(options)}.`);
  }
  const o = options as Partial<SaveQuantizedOptions>;
  if (!DTYPES.includes(o.dtype as StorageDtype)) {
    throw new PruneError('INVALID_OPTION', `${where}: dtype must be one of ${DTYPES.map((d) => `'${d}'`).join(', ')}; got ${JSON.stringify(o.dtype)}.`);
  }
  const minElements = o.minElements ?? DEFAULT_MIN_ELEMENTS;
  if (!Number.isInteger(minElements) || minElements < 0) {
    throw new PruneError('INVALID_OPTION', `${where}: minElements must be an integer >= 0 (tensors with fewer values stay float32); got ${String(o.minElements)}.`);
  }
  return { dtype: o.dtype as StorageDtype, minElements };
}

/** The save handler for `destination`, refused up front when there is none. */
function saveHandlerOf(destination: unknown): tf.io.IOHandler {
  if (typeof destination === 'string') {
    const handlers = tf.io.getSaveHandlers(destination);
    if (handlers.length === 0) {
      throw new PruneError(
        'INVALID_OPTION',
        `saveQuantized: no TF.js save handler is registered for '${destination}' here. ` +
          "In a browser use 'downloads://name', 'indexeddb://name', 'localstorage://name' or an http(s) URL; in Node pass modelDirectoryHandler(dir) from 'tfjs-prune/node' (or use 'file://' with tfjs-node loaded).",
      );
    }
    if (handlers.length > 1) {
      throw new PruneError('INVALID_OPTION', `saveQuantized: ${handlers.length} save handlers match '${destination}'; pass the IOHandler itself instead of the URL.`);
    }
    return handlers[0];
  }
  if (destination === null || typeof destination !== 'object' || typeof (destination as tf.io.IOHandler).save !== 'function') {
    throw new PruneError('INVALID_OPTION', `saveQuantized: destination must be a URL string ('indexeddb://pruned') or a tf.io IOHandler with a save() method; got ${destination === null ? 'null' : typeof destination}.`);
  }
  return destination as tf.io.IOHandler;
}

/**
 * Model artifacts with the weights stored at `dtype` (what {@link saveQuantized} hands to the IO
 * handler). Internal: also used by the loop's deploy step to measure the quantized model.
 */
export async function quantizedArtifacts(model: tf.LayersModel, storage: { dtype: StorageDtype; minElements: number }): Promise<{ artifacts: tf.io.ModelArtifacts; tensors: StoredTensor[] }> {
  return quantizeArtifacts(await modelToArtifacts(model), storage);
}

/**
 * Saves a LayersModel with its float32 weights stored in 8 or 16 bits, through any `tf.io`
 * handler or URL `model.save` accepts (`'downloads://'`, `'indexeddb://'`, `'localstorage://'`,
 * http(s), `modelDirectoryHandler(dir)` from `tfjs-prune/node` in Node). The result is an
 * ordinary `model.json` + weights: `tf.loadLayersModel` decodes it with no code of this library.
 *
 * Each weight tensor is encoded on its own, in the quantization format of TF.js's weights
 * manifest: `'uint8'`/`'uint16'` are affine (`value = q * scale + min`) over the tensor's range
 * widened to hold 0 and nudged so that 0 is stored exactly, as TF.js's converter does;
 * `'float16'` rounds to the nearest half-precision value. Integer tensors, tensors with fewer than
 * `minElements` values, and tensors that cannot be represented (non-finite values, or beyond
 * float16's range) stay as they are; `tensors` in the result says which and why. SeparableConv2D
 * depth multipliers are kept (see `modelToArtifacts`). The model is only read; no tensor is left
 * behind.
 *
 * @param model A built `tf.LayersModel` (fold its BatchNormalization first with {@link foldBatchNorm}).
 * @param destination A URL string or a `tf.io.IOHandler`.
 * @param options `{ dtype }`, and `minElements` (default 256).
 * @throws PruneError `INVALID_OPTION` for a bad dtype, `minElements` or destination (before any work).
 *
 * @example
 * ```ts
 * import { foldBatchNorm, saveQuantized } from 'tfjs-prune';
 *
 * const { model: folded } = foldBatchNorm(model);
 * const { weightBytes } = await saveQuantized(folded, 'indexeddb://digits', { dtype: 'uint8' });
 * const loaded = await tf.loadLayersModel('indexeddb://digits'); // plain TF.js
 * ```
 */
export async function saveQuantized(model: tf.LayersModel, destination: string | tf.io.IOHandler, options: SaveQuantizedOptions): Promise<SaveQuantizedResult> {
  assertLayersModel(model, 'model');
  const storage = checkStorage(options, 'saveQuantized');
  const handler = saveHandlerOf(destination);
  const { artifacts, tensors } = await quantizedArtifacts(model, storage);
  const saved = await handler.save!(artifacts);
  return { saved, weightBytes: (artifacts.weightData as ArrayBuffer).byteLength, tensors };
}
