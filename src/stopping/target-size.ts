import { formatNumber } from './format';
import type { StopPolicy } from './stop-policy';
import { targetPolicy } from './target-ratio';

/**
 * Stops once the model takes at most `ratio` of the original model's stored bytes:
 * `current / baseline.bytes <= ratio`, where the baseline is the original model at 32 bits and
 * `current` is the pruned model at the precision it will be stored at (the run's `deploy.dtype`,
 * `Measurement.bytesQuantized`; float32 without a deploy step, `Measurement.bytes`). So with
 * `deploy: { dtype: 'uint8' }`, `targetSize(0.125)` asks for a shipped model 8 times smaller
 * than the float32 original, quantization's 4x included. The reason reads like
 * `bytes at 12.1% of the original <= 12.5% (27.5 kB of 227 kB)`. Not a bound: it never asks for
 * a rollback.
 *
 * It declares `requires: { size: true }`, so the loop measures stored bytes at every step.
 * Bytes are counted before folding BatchNormalization (`storedSize`), which the deploy step
 * shrinks a little further.
 *
 * @param ratio The fraction of the original bytes to reach: a finite number in (0, 1).
 * @throws PruneError `INVALID_OPTION` for a ratio that is not a finite number in (0, 1); from
 *   `validate`, `MISSING_DATA` when the baseline has no `bytes` (the run does not measure size).
 *
 * @example
 * ```ts
 * import { anyOf, maxMetricDrop, pruneIteratively, targetSize } from 'tfjs-prune';
 *
 * await pruneIteratively(model, { train: { x: xTrain, y: yTrain }, validation: { x: xVal, y: yVal } }, {
 *   compile: { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
 *   objective: 'size',
 *   stop: anyOf(targetSize(0.1), maxMetricDrop('accuracy', 0.01)),
 *   deploy: { dtype: 'uint8' },
 * });
 * ```
 */
export function targetSize(ratio: number): StopPolicy {
  return targetPolicy(
    { factory: 'targetSize', key: 'bytes', currentKey: 'bytesQuantized', label: 'bytes', unit: (b) => `${formatNumber(b / 1000, 3)} kB` },
    ratio,
  );
}
