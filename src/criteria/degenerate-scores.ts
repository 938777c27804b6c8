import * as tf from '@tensorflow/tfjs';
import { batchesOf, disposeBatch, type DataSource } from '../data/data-source';
import type { GroupScores } from './criterion';

/**
 * Why raw scores cannot rank channels, or `null` when they can: every group's scores are equal
 * within the group (all zero, or one constant), so the ranking would fall back to group order or
 * size. A group of one channel is ranked by nothing but size anyway and is not looked at, unless
 * every group has one channel.
 */
export function degenerateScores(raw: Readonly<GroupScores>): string | null {
  const groups = Object.entries(raw);
  if (groups.length === 0) return null;
  const looked = groups.some(([, v]) => v.length > 1) ? groups.filter(([, v]) => v.length > 1) : groups;
  let channels = 0;
  let zero = true;
  for (const [, v] of looked) {
    let min = Infinity;
    let max = -Infinity;
    for (const x of v) {
      if (x < min) min = x;
      if (x > max) max = x;
    }
    // Equal up to float rounding of the largest value.
    if (max - min > 1e-6 * Math.max(Math.abs(min), Math.abs(max))) return null;
    if (max !== 0 || min !== 0) zero = false;
    channels += v.length;
  }
  return zero ? `all ${channels} channel scores are 0` : `the ${channels} channel scores are equal within every group`;
}

/**
 * Whether the labels of the first batch of `data` are what `model` outputs (to float rounding):
 * then the loss is at its minimum in the outputs and every loss gradient is zero, the case of
 * scoring against the original model's own outputs. Reads one batch.
 */
export async function labelsAreOwnOutputs(model: tf.LayersModel, data: DataSource, batchSize: number, where: string): Promise<boolean> {
  for await (const batch of batchesOf(model, data, batchSize, where, false)) {
    try {
      if (batch.y === null) return false;
      const y = batch.y;
      const gap = tf.tidy((): tf.Tensor | void => {
        const out = model.predict(batch.x.length === 1 ? batch.x[0] : batch.x) as tf.Tensor | tf.Tensor[];
        const outs = Array.isArray(out) ? out : [out];
        if (outs.some((o, i) => y[i] === undefined || o.size !== y[i].size)) return;
        const diff = tf.addN(outs.map((o, i) => o.sub(y[i].toFloat().reshape(o.shape)).abs().max()));
        const scale = tf.addN(y.map((t) => t.toFloat().abs().max()));
        return tf.stack([diff, scale]);
      });
      if (!gap) return false;
      const [diff, scale] = await gap.data();
      gap.dispose();
      return diff <= 1e-5 * Math.max(scale, 1e-12);
    } finally {
      disposeBatch(batch);
    }
  }
  return false;
}
