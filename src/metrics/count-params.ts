import type * as tf from '@tensorflow/tfjs';
import { assertLayersModel } from '../model/assert-layers-model';

/**
 * What {@link countParams} returns.
 *
 * @example
 * ```ts
 * const { total, perLayer }: CountParamsResult = countParams(model);
 * const biggest = Object.entries(perLayer).sort((a, b) => b[1] - a[1])[0]; // [layer name, weights]
 * ```
 */
export interface CountParamsResult {
  /** Number of scalar weights in the model, trainable and non-trainable. */
  total: number;
  /**
   * Weights per layer, keyed by layer name, for every layer of `model.layers` (layers without
   * weights, such as pooling or the input layer, are present with 0). A nested model used as a
   * layer is one entry holding all of its weights.
   */
  perLayer: Record<string, number>;
}

/**
 * Counts the weights of a `tf.LayersModel`: every scalar of every weight variable, trainable or
 * not (BatchNormalization moving mean and variance included), so `total` equals
 * `model.countParams()`. Reads shapes only; no tensor is created.
 *
 * @param model A built `tf.LayersModel` (Sequential or functional).
 * @returns The total and a per-layer breakdown keyed by layer name.
 * @throws PruneError `NOT_A_LAYERS_MODEL` if `model` is not a LayersModel, `MODEL_NOT_BUILT` if
 *   it has no inputs or outputs yet.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { countParams } from 'tfjs-prune';
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3 })] });
 * const { total, perLayer } = countParams(model);
 * // total === 15 (4 * 3 kernel + 3 bias); perLayer === { dense_Dense1: 15 }
 * ```
 */
export function countParams(model: tf.LayersModel): CountParamsResult {
  assertLayersModel(model, 'model');
  const entries: Array<[string, number]> = [];
  let total = 0;
  for (const layer of model.layers) {
    let count = 0;
    for (const weight of layer.weights) {
      // A scalar weight (shape []) holds one number; reduce over [] gives the empty product 1.
      count += weight.shape.reduce<number>((a, b) => a * (b ?? 0), 1);
    }
    entries.push([layer.name, count]);
    total += count;
  }
  return { total, perLayer: Object.fromEntries(entries) };
}
