import type * as tf from '@tensorflow/tfjs';
import { nodeShapesAt } from '../metrics/node-shapes';
import type { Dims } from '../metrics/model-nodes';

/** Memory a scoring batch's activations may take: a quarter of wasm's 4 GiB. */
export const SCORING_MEMORY_BUDGET = 1024 ** 3;
/** The largest default scoring batch. */
export const MAX_DEFAULT_SCORING_BATCH = 32;

/**
 * Bytes of float32 activations one example produces in a forward pass: every layer application's
 * outputs at the given example shapes (no batch axis; `null`: the model's own input shapes).
 * `null` when a size stays unknown.
 */
export function activationBytesPerExample(model: tf.LayersModel, exampleShapes: readonly number[][] | null): number | null {
  const inputs: Dims[] = model.inputs.map((t, i) => [null, ...(exampleShapes?.[i] ?? t.shape.slice(1))]);
  let elements = 0;
  for (const shapes of nodeShapesAt(model, inputs).values()) {
    for (const shape of shapes.outputShapes) {
      let n = 1;
      for (const d of shape.slice(1)) {
        if (d === null || d === undefined) return null;
        n *= d;
      }
      elements += n;
    }
  }
  return 4 * elements;
}

/**
 * The default scoring batch size: as many examples as fit their activations in
 * {@link SCORING_MEMORY_BUDGET} (three times the forward activations when gradients are needed:
 * the activations the backward pass keeps, their gradients, and temporaries), at most
 * {@link MAX_DEFAULT_SCORING_BATCH} and at least 1. A 224x224 MobileNetV2 gets a few examples per
 * batch for Taylor; small models get 32.
 */
export function defaultScoringBatchSize(model: tf.LayersModel, exampleShapes: readonly number[][] | null, gradients: boolean): number {
  const bytes = activationBytesPerExample(model, exampleShapes);
  if (bytes === null || bytes === 0) return MAX_DEFAULT_SCORING_BATCH;
  const perExample = bytes * (gradients ? 3 : 1);
  return Math.max(1, Math.min(MAX_DEFAULT_SCORING_BATCH, Math.floor(SCORING_MEMORY_BUDGET / perExample)));
}
