import * as tf from '@tensorflow/tfjs';
import { batchesOf, disposeBatch, type DataSource, type LabelUse } from '../data/data-source';
import { noExamples } from '../data/assert-data-not-empty';
import { PruneError } from '../errors';
import type { Metric } from './metric';
import { yieldToEventLoop } from '../util/yield-to-event-loop';

/**
 * Mean loss and metrics of a model over labelled data, in inference mode, batch by batch (the
 * model need not be compiled). Returns `{ loss, ...metrics }` by name; NaN or Infinity is kept as
 * such (the caller decides what a diverged model means).
 */
export async function evaluateModel(
  model: tf.LayersModel,
  data: DataSource,
  lossOf: (yTrue: tf.Tensor[], yPred: tf.Tensor[]) => tf.Tensor1D,
  metrics: readonly Metric[],
  batchSize: number,
  where: string,
  labels?: LabelUse,
): Promise<Record<string, number>> {
  const sums = new Float64Array(metrics.length + 1);
  let n = 0;
  for await (const batch of batchesOf(model, data, batchSize, where, true, labels)) {
    try {
      const values = tf.tidy(() => {
        const out = model.predict(batch.x.length === 1 ? batch.x[0] : batch.x) as tf.Tensor | tf.Tensor[];
        const outs = Array.isArray(out) ? out : [out];
        return tf.stack([lossOf(batch.y!, outs).sum(), ...metrics.map((m) => m.perExample(batch.y!, outs).toFloat().sum())]);
      });
      try {
        (await values.data()).forEach((v, i) => (sums[i] += v));
      } finally {
        values.dispose();
      }
      n += batch.size;
    } finally {
      disposeBatch(batch);
    }
    await yieldToEventLoop();
  }
  if (n === 0) throw new PruneError('MISSING_DATA', noExamples(where, 'the dataset yielded no element, or only empty batches'));
  const result: Record<string, number> = { loss: sums[0] / n };
  metrics.forEach((m, i) => (result[m.name] = sums[i + 1] / n));
  return result;
}
