import type * as tf from '@tensorflow/tfjs';
import type { StorageDtype } from '../deploy/quantize-artifacts';
import { checkStorage } from '../deploy/save-quantized';
import { assertLayersModel } from '../model/assert-layers-model';

/**
 * What {@link storedSize} returns.
 *
 * @example
 * ```ts
 * const { bytes, weightBytes, topologyBytes }: StoredSizeResult = storedSize(model, { dtype: 'uint8' });
 * ```
 */
export interface StoredSizeResult {
  /** `weightBytes + topologyBytes`. */
  bytes: number;
  /** Bytes of the weights file(s) `saveQuantized` writes at this dtype (`model.save` at float32). */
  weightBytes: number;
  /** Bytes of the topology JSON (`model.toJSON()`, UTF-8); `model.json` adds a short manifest entry per weight. */
  topologyBytes: number;
  /** Weight bytes per layer, keyed by layer name (layers without weights have 0). */
  perLayer: Record<string, number>;
}

const BYTES: Record<StorageDtype, number> = { float32: 4, float16: 2, uint16: 2, uint8: 1 };

/**
 * The bytes a model takes when stored: its weights at `dtype` (default float32, what `model.save`
 * writes) plus its topology. At another dtype it counts what {@link saveQuantized} writes with the
 * same `dtype` and `minElements`: float32 tensors with at least `minElements` values at
 * `dtype`'s width, every other tensor at 4 bytes per value. Computed from shapes, without
 * reading the weights: a tensor `saveQuantized` keeps at float32 because of its values (NaN, or
 * beyond float16's range) is counted at `dtype`. Creates no tensors.
 *
 * @param model A built `tf.LayersModel`.
 * @param options `dtype` (default `'float32'`) and `minElements` (default 256), as `saveQuantized`'s.
 * @throws PruneError `NOT_A_LAYERS_MODEL`/`MODEL_NOT_BUILT` for a bad model, `INVALID_OPTION` for bad options.
 *
 * @example
 * ```ts
 * import { storedSize } from 'tfjs-prune';
 *
 * const f32 = storedSize(model).bytes;
 * const u8 = storedSize(model, { dtype: 'uint8' }).bytes; // about a quarter
 * ```
 */
export function storedSize(model: tf.LayersModel, options: { dtype?: StorageDtype; minElements?: number } = {}): StoredSizeResult {
  assertLayersModel(model, 'model');
  const { dtype, minElements } = checkStorage({ ...options, dtype: options.dtype ?? 'float32' }, 'storedSize');
  const perLayer: Record<string, number> = {};
  let weightBytes = 0;
  for (const layer of model.layers) {
    let bytes = 0;
    for (const w of layer.weights) {
      const size = w.shape.reduce<number>((a, b) => a * (b ?? 0), 1);
      bytes += size * (w.dtype === 'float32' && size >= minElements ? BYTES[dtype] : 4);
    }
    perLayer[layer.name] = bytes;
    weightBytes += bytes;
  }
  const topologyBytes = new TextEncoder().encode(JSON.stringify(model.toJSON(null, false))).byteLength;
  return { bytes: weightBytes + topologyBytes, weightBytes, topologyBytes, perLayer };
}
