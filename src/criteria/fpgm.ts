import * as tf from '@tensorflow/tfjs';
import type { Criterion, CriterionOptions } from './criterion';
import { weightCriterion } from './weight-criterion';

/**
 * Filter Pruning via Geometric Median (He et al. 2019): each channel's score is the sum of the
 * Euclidean distances from its filter to every other filter of the same producer. Filters close to
 * the others (near the geometric median) are the most replaceable and score lowest. Needs no data;
 * the pairwise distances are computed on the active backend.
 *
 * @example
 * ```ts
 * import { criteria, scoreGroups } from 'tfjs-prune';
 * const scores = await scoreGroups(model, criteria.fpgm());
 * ```
 */
export function fpgm(options?: CriterionOptions): Criterion {
  return weightCriterion('fpgm', options, (p) => {
    const n = p.channels.length;
    if (n === 0) return new Float32Array(0);
    const sums = tf.tidy(() => {
      const rows = tf.tensor2d(p.kernel, [n, p.fanIn]);
      const sq = rows.square().sum(1);
      // |a - b|^2 = |a|^2 + |b|^2 - 2 a.b, clipped at 0 against rounding.
      const d2 = sq.reshape([n, 1]).add(sq.reshape([1, n])).sub(rows.matMul(rows.transpose()).mul(2)).relu().mul(tf.scalar(1).sub(tf.eye(n)));
      return d2.sqrt().sum(1);
    });
    try {
      return sums.dataSync() as Float32Array;
    } finally {
      sums.dispose();
    }
  });
}
