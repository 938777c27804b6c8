import * as tf from '@tensorflow/tfjs';
import { batchesOf, disposeBatch, type DataSource } from '../data/data-source';
import { yieldToEventLoop } from '../util/yield-to-event-loop';

/** How close a model's outputs are to a reference model's outputs on the same inputs. */
export interface OutputComparison {
  /** Mean squared difference of the outputs (over every element, outputs averaged). */
  mse: number;
  /**
   * Share of examples whose predicted class (arg-max of the last axis; a one-unit output is
   * thresholded at 0.5) is the reference's, averaged over positions and outputs.
   */
  agreement: number;
}

/**
 * Compares `model` with `reference` on the inputs of `data` (labels are not read), batch by
 * batch in inference mode. Internal: the loop's label-free metric and its guard of the
 * BatchNormalization re-estimation.
 */
export async function compareOutputs(model: tf.LayersModel, reference: tf.LayersModel, data: DataSource, batchSize: number, where: string): Promise<OutputComparison> {
  let mse = 0;
  let agree = 0;
  let n = 0;
  for await (const batch of batchesOf(model, data, batchSize, where, false)) {
    try {
      const sums = tf.tidy(() => {
        const feed = batch.x.length === 1 ? batch.x[0] : batch.x;
        const list = (t: tf.Tensor | tf.Tensor[]): tf.Tensor[] => (Array.isArray(t) ? t : [t]);
        const a = list(model.predict(feed) as tf.Tensor | tf.Tensor[]);
        const b = list(reference.predict(feed) as tf.Tensor | tf.Tensor[]);
        const perExample = (t: tf.Tensor): tf.Tensor => (t.rank > 1 ? t.mean(t.shape.map((_, i) => i).slice(1)) : t);
        const errors = a.map((p, i) => perExample(p.sub(b[i]).square()));
        const agreements = a.map((p, i) => {
          const q = b[i];
          const same = p.shape[p.rank - 1] === 1 || p.rank === 1 ? p.greater(0.5).equal(q.greater(0.5)) : p.argMax(-1).equal(q.argMax(-1));
          return perExample(same.toFloat());
        });
        const mean = (ts: tf.Tensor[]): tf.Tensor => tf.addN(ts).div(ts.length).sum();
        return tf.stack([mean(errors), mean(agreements)]);
      });
      try {
        const [e, g] = await sums.data();
        mse += e;
        agree += g;
      } finally {
        sums.dispose();
      }
      n += batch.size;
    } finally {
      disposeBatch(batch);
    }
    await yieldToEventLoop();
  }
  return { mse: mse / n, agreement: agree / n };
}
