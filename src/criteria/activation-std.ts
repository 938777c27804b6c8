import type { Criterion } from './criterion';
import { statsCriterion, type DataCriterionOptions } from './stats-criterion';

/**
 * Standard deviation of each channel's activations over the scoring data (Molchanov et al. 2017):
 * a channel that barely varies carries little information and could be replaced by a constant.
 * Measured over examples and positions of what the consumers read. Needs scoring data (labels not
 * required).
 *
 * @example
 * ```ts
 * import { criteria, scoreGroups } from 'tfjs-prune';
 * const scores = await scoreGroups(model, criteria.activationStd(), { data: { x: xVal } });
 * ```
 */
export function activationStd(options?: DataCriterionOptions): Criterion {
  return statsCriterion('activationStd', 'activations', options, (s) => s.activationStd);
}
