import { formatNumber } from './format';
import type { StopPolicy } from './stop-policy';
import { targetPolicy } from './target-ratio';

/**
 * Stops once the model's measured latency is at most `ratio` of the original model's:
 * `current.latencyMs / baseline.latencyMs <= ratio`. A model at exactly the target stops. The
 * reason reads like `latency at 48.6% of the original <= 50% (0.67 ms of 1.38 ms)`. Not a bound:
 * it never asks for a rollback.
 *
 * It declares `requires: { latency: true }`, so the loop measures latency at every step. Latency
 * is noisy: the loop stops the first time one measurement meets the target.
 *
 * @param ratio The fraction of the original latency to reach: a finite number in (0, 1). A ratio
 *   >= 1 is a target the original model already meets, and is refused (`INVALID_OPTION`).
 * @throws PruneError `INVALID_OPTION` for a ratio that is not a finite number in (0, 1);
 *   from `validate`, `MISSING_DATA` when the run does not measure latency
 *   (`context.measuresLatency` false) or the baseline has no `latencyMs`.
 *
 * @example
 * ```ts
 * import { anyOf, maxSteps, targetLatency } from 'tfjs-prune';
 *
 * const policy = anyOf(targetLatency(0.5), maxSteps(20)); // requires: { latency: true }
 * ```
 */
export function targetLatency(ratio: number): StopPolicy {
  return targetPolicy(
    { factory: 'targetLatency', key: 'latencyMs', label: 'latency', unit: (ms) => `${formatNumber(ms, 3)} ms` },
    ratio,
  );
}
