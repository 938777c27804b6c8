import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import type { MetricDirection } from '../report/measurement';

/**
 * A validation metric: a name, whether higher is better (declared, never guessed from the name),
 * and a function giving one value per example; the loop reports the mean over the validation data.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import type { Metric } from 'tfjs-prune';
 *
 * // Top-3 accuracy of a classifier with one-hot labels.
 * const top3: Metric = {
 *   name: 'top3',
 *   direction: 'higher',
 *   perExample: ([y], [p]) => tf.tidy(() => {
 *     const { indices } = tf.topk(p, 3);
 *     return indices.equal(y.argMax(-1).expandDims(1)).any(1).toFloat();
 *   }),
 * };
 * ```
 */
export interface Metric {
  readonly name: string;
  readonly direction: MetricDirection;
  /** One value per example (`[batch]`), from the labels and the outputs (one tensor per model output). */
  perExample(yTrue: tf.Tensor[], yPred: tf.Tensor[]): tf.Tensor;
}

/**
 * Top-1 accuracy of a single-output classifier, read from the label and output shapes: one-hot
 * labels (same shape as the output) compare arg-maxes; integer labels (`[batch]` or `[batch, 1]`)
 * against a multi-class output compare with the output's arg-max; a one-unit output is binary
 * (threshold 0.5).
 *
 * @example
 * ```ts
 * const metrics = [accuracy()]; // same as metrics: ['accuracy'] in compile options
 * ```
 */
export function accuracy(): Metric {
  return {
    name: 'accuracy',
    direction: 'higher',
    perExample: (yTrue, yPred) =>
      tf.tidy(() => {
        if (yPred.length !== 1) {
          throw new PruneError('INVALID_OPTION', `metric 'accuracy' is for single-output models (this one has ${yPred.length} outputs); give a custom Metric.`);
        }
        const [y] = yTrue;
        const [p] = yPred;
        const classes = p.shape[p.rank - 1] as number;
        if (classes === 1) return p.greater(0.5).toFloat().reshape([-1]).equal(y.toFloat().reshape([-1])).toFloat();
        const predicted = p.argMax(-1);
        const truth = y.rank === p.rank && y.shape[y.rank - 1] === classes ? y.argMax(-1) : y.reshape(predicted.shape).toInt();
        const right = predicted.equal(truth).toFloat();
        return right.rank > 1 ? right.mean(right.shape.map((_, i) => i).slice(1)) : right;
      }),
  };
}

/** Resolves compile `metrics` (names or Metric objects) to Metric objects; throws on unknown names. */
export function resolveMetrics(list: ReadonlyArray<string | Metric> | undefined, where: string): Metric[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new PruneError('INVALID_OPTION', `${where}.metrics must be an array such as ['accuracy']; got ${typeof list}.`);
  const out = list.map((m): Metric => {
    if (m === 'accuracy' || m === 'acc') return accuracy();
    if (typeof m === 'string') {
      throw new PruneError('INVALID_OPTION', `${where}.metrics: unknown metric '${m}'. Built in: 'accuracy'; for anything else pass a Metric object { name, direction, perExample }.`);
    }
    const metric = m as Partial<Metric>;
    if (typeof metric !== 'object' || metric === null || typeof metric.name !== 'string' || typeof metric.perExample !== 'function') {
      throw new PruneError('INVALID_OPTION', `${where}.metrics: each metric must be 'accuracy' or an object { name, direction, perExample }.`);
    }
    if (metric.direction !== 'higher' && metric.direction !== 'lower') {
      throw new PruneError('INVALID_OPTION', `${where}.metrics: metric '${metric.name}' must declare direction: 'higher' or 'lower' (which values are better); got ${JSON.stringify(metric.direction)}.`);
    }
    if (metric.name === 'loss') throw new PruneError('INVALID_OPTION', `${where}.metrics: 'loss' is always measured; do not list it.`);
    return metric as Metric;
  });
  const names = out.map((m) => m.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new PruneError('INVALID_OPTION', `${where}.metrics: metric '${dup}' is listed twice.`);
  return out;
}
