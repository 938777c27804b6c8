import * as tf from '@tensorflow/tfjs';
import { prune } from '../../src/surgery/prune';
import type { Removals } from '../../src/surgery/validate-removals';
import { cloneModel } from './clone-model';
import { expectClose, predictAll } from './expect-close';
import { zeroedReference } from './zeroed-reference';

/** Copies every weight of a model to plain arrays (to check later that nothing changed). */
export function snapshotWeights(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => Float32Array.from(w.dataSync()));
}

export interface InvariantResult {
  /** Output shapes of the pruned model. */
  shapes: number[][];
}

/**
 * The surgery invariant, checked end to end:
 * - `prune(model, removals)` gives the same outputs as the model whose consumers have the removed
 *   channels' input weights zeroed;
 * - the pruned model round-trips through toJSON -> modelFromJSON and through save/load;
 * - the input model is unchanged and no tensor leaks.
 */
export async function checkInvariant(
  model: tf.LayersModel,
  removals: Removals,
  x: tf.Tensor | tf.Tensor[],
  rtol = 1e-5,
  { roundTrip = true }: { roundTrip?: boolean } = {},
): Promise<InvariantResult> {
  const entryTensors = tf.memory().numTensors;
  const before = snapshotWeights(model);
  const originalOut = predictAll(model, x);
  const startTensors = tf.memory().numTensors;

  const pruned = prune(model, removals);
  // Only the new model's own variables were created.
  expect(tf.memory().numTensors - startTensors).toBe(pruned.weights.length);

  const reference = await zeroedReference(model, removals);
  const expected = predictAll(reference, x);
  const actual = predictAll(pruned, x);
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expectClose(a, expected[i], rtol));

  // JSON round trip (the topology alone) and a full save/load round trip.
  if (roundTrip) {
    const json = pruned.toJSON(null, false) as unknown as object;
    const fromJson = await tf.models.modelFromJSON({ modelTopology: json } as unknown as tf.io.ModelJSON);
    fromJson.setWeights(pruned.getWeights());
    const loaded = await cloneModel(pruned);
    for (const copy of [fromJson, loaded]) {
      const out = predictAll(copy, x);
      out.forEach((a, i) => expectClose(a, actual[i], 1e-6));
      tf.dispose(out);
      copy.dispose();
    }
  }

  // The input model is untouched and still usable.
  const after = snapshotWeights(model);
  expect(after.length).toBe(before.length);
  after.forEach((w, i) => expect(w).toEqual(before[i]));
  const again = predictAll(model, x);
  again.forEach((a, i) => expectClose(a, originalOut[i], 0, 0));
  tf.dispose(again);

  const shapes = actual.map((a) => a.shape);
  [...originalOut, ...expected, ...actual].forEach((t) => t.dispose());
  reference.dispose();
  pruned.dispose();
  expect(tf.memory().numTensors).toBe(entryTensors);
  return { shapes };
}
