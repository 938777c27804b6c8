import type { StopPolicy } from './stop-policy';
import { formatCount, targetPolicy } from './target-ratio';

/**
 * Stops once the model has at most `ratio` of the original model's parameters (as
 * `countParams(model).total`): `current.params / baseline.params <= ratio`. A model at exactly
 * the target stops. The reason reads like `params at 25.4% of the original <= 30% (14410 of 56714)`.
 * Not a bound: it never asks for a rollback.
 *
 * @param ratio The fraction of the original parameters to reach: a finite number in (0, 1). A
 *   ratio >= 1 is a target the original model already meets, and is refused (`INVALID_OPTION`).
 * @throws PruneError `INVALID_OPTION` for a ratio that is not a finite number in (0, 1).
 *
 * @example
 * ```ts
 * import { targetParams } from 'tfjs-prune';
 *
 * const policy = targetParams(0.3); // name: 'targetParams(0.3)'
 * ```
 */
export function targetParams(ratio: number): StopPolicy {
  return targetPolicy({ factory: 'targetParams', key: 'params', label: 'params', unit: formatCount }, ratio);
}
