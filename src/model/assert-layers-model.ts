import type * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';

/**
 * Checks that `model` is a built `tf.LayersModel` (Sequential or functional) and throws a
 * {@link PruneError} saying how to fix it otherwise. Duck-typed, so a model made by another copy
 * of TF.js is accepted too.
 *
 * @example
 * ```ts
 * assertLayersModel(maybeModel, 'model'); // throws PruneError('NOT_A_LAYERS_MODEL') for a GraphModel
 * ```
 */
export function assertLayersModel(model: unknown, argName = 'model'): asserts model is tf.LayersModel {
  const m = model as Partial<tf.LayersModel> | null | undefined;
  const isLayersModel =
    m !== null &&
    typeof m === 'object' &&
    Array.isArray(m.layers) &&
    typeof m.getConfig === 'function' &&
    typeof m.getClassName === 'function';
  if (!isLayersModel) {
    const what =
      m !== null && typeof m === 'object' && typeof (m as { executeAsync?: unknown }).executeAsync === 'function'
        ? 'a tf.GraphModel'
        : m === null
          ? 'null'
          : typeof m;
    throw new PruneError(
      'NOT_A_LAYERS_MODEL',
      `\`${argName}\` is ${what}, but a tf.LayersModel (tf.sequential(), tf.model() or tf.loadLayersModel()) was expected. ` +
        'GraphModels (tf.loadGraphModel, converted SavedModels) have no editable layers: load the Keras/Layers format instead.',
    );
  }
  const inputs = (m as tf.LayersModel).inputs;
  const outputs = (m as tf.LayersModel).outputs;
  if (!Array.isArray(inputs) || inputs.length === 0 || !Array.isArray(outputs) || outputs.length === 0 || m.layers!.length === 0) {
    throw new PruneError(
      'MODEL_NOT_BUILT',
      `\`${argName}\` ('${(m as tf.LayersModel).name}') has no known inputs or outputs yet, so its layers have no weights. ` +
        'Give the first layer an `inputShape` (or call the model once on a tensor) before pruning it.',
    );
  }
}
