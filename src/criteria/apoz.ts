import type { Criterion } from './criterion';
import { statsCriterion, type DataCriterionOptions } from './stats-criterion';

/**
 * Average Percentage of Zeros (Hu et al. 2016, "Network Trimming"): the fraction of a channel's
 * values that are exactly zero over the scoring data, measured where the consumers read it (after
 * the ReLU and pooling). More zeros means less important, so the score is `1 - APoZ` (higher =
 * keep); a dead channel scores 0. Needs scoring data (labels not required).
 *
 * @example
 * ```ts
 * import { criteria, scoreGroups } from 'tfjs-prune';
 * const scores = await scoreGroups(model, criteria.apoz(), { data: { x: xVal } });
 * ```
 */
export function apoz(options?: DataCriterionOptions): Criterion {
  return statsCriterion('apoz', 'activations', options, (s) => s.zeroFraction?.map((z) => 1 - z));
}
