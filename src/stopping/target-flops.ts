import type { StopPolicy } from './stop-policy';
import { formatCount, targetPolicy } from './target-ratio';

/**
 * Stops once the model has at most `ratio` of the original model's FLOPs (multiply-accumulates
 * per example, as `countFlops`): `current.flops / baseline.flops <= ratio`. A model at exactly
 * the target stops. The reason reads like `FLOPs at 49.7% of the original <= 50% (351200 of 706752)`.
 * Not a bound: it never asks for a rollback.
 *
 * @param ratio The fraction of the original FLOPs to reach: a finite number in (0, 1). A ratio
 *   >= 1 is a target the original model already meets, and is refused (`INVALID_OPTION`).
 * @throws PruneError `INVALID_OPTION` for a ratio that is not a finite number in (0, 1).
 *
 * @example
 * ```ts
 * import { anyOf, maxMetricDrop, targetFlops } from 'tfjs-prune';
 *
 * const halfTheFlops = targetFlops(0.5); // name: 'targetFlops(0.5)'
 * const policy = anyOf(halfTheFlops, maxMetricDrop('accuracy', 0.01));
 * ```
 */
export function targetFlops(ratio: number): StopPolicy {
  return targetPolicy({ factory: 'targetFlops', key: 'flops', label: 'FLOPs', unit: formatCount }, ratio);
}
