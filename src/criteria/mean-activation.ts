import type { Criterion } from './criterion';
import { statsCriterion, type DataCriterionOptions } from './stats-criterion';

/**
 * Mean activation of each channel over the scoring data (Molchanov et al. 2017's "mean
 * activation"): the mean of `|z|` over examples and positions, where `z` is what the consumers
 * read. After a ReLU this is the plain mean; the absolute value keeps it meaningful after
 * activations with negative outputs. Needs scoring data (labels not required).
 *
 * @example
 * ```ts
 * import { criteria, scoreGroups } from 'tfjs-prune';
 * const scores = await scoreGroups(model, criteria.meanActivation(), { data: { x: xVal } });
 * ```
 */
export function meanActivation(options?: DataCriterionOptions): Criterion {
  return statsCriterion('meanActivation', 'activations', options, (s) => s.meanAbsActivation);
}
