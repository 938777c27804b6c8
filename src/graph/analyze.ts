import type * as tf from '@tensorflow/tfjs';
import type { Analysis } from './pruning-group';
import { resolveModel } from './resolve-model';

/**
 * Finds the pruning groups of a model: the sets of layers whose channels must be removed
 * together (a conv and its BN, both branches of a residual `Add`, the rows of the Dense after a
 * `Flatten`...). Groups that touch a layer the library does not understand, or a model output,
 * are reported with `prunable: false` and a `reason`; the rest of the model stays prunable.
 *
 * Read only: the model is not modified and no tensor is created.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { analyze } from 'tfjs-prune';
 *
 * const model = tf.sequential({ layers: [
 *   tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu' }),
 *   tf.layers.flatten(),
 *   tf.layers.dense({ units: 10, activation: 'softmax' }),
 * ] });
 * for (const g of analyze(model).groups) {
 *   console.log(g.id, g.size, g.prunable ? 'prunable' : g.reason);
 * }
 * // conv2d_Conv2D1 8 prunable
 * // dense_Dense1 10 it reaches the model output 'dense_Dense1'; model outputs are never pruned
 * ```
 */
export function analyze(model: tf.LayersModel): Analysis {
  const { groups } = resolveModel(model);
  return {
    groups: groups.map((g) => ({
      id: g.id,
      size: g.size,
      prunable: g.prunable,
      ...(g.reason !== undefined ? { reason: g.reason } : {}),
      members: g.members.map((m) => ({ ...m })),
    })),
  };
}
