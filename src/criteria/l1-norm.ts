import type { Criterion, CriterionOptions } from './criterion';
import { perRow, weightCriterion } from './weight-criterion';

/**
 * L1 norm of each channel's kernel weights, `sum |w|` over the filter (Li et al. 2017, "Pruning
 * Filters for Efficient ConvNets"); bias excluded. Needs no data. In a group with several
 * producers the per-producer norms are combined with `reduce` (default mean).
 *
 * @example
 * ```ts
 * import { criteria, scoreGroups } from 'tfjs-prune';
 * const scores = await scoreGroups(model, criteria.l1Norm());
 * ```
 */
export function l1Norm(options?: CriterionOptions): Criterion {
  return weightCriterion('l1Norm', options, (p) =>
    perRow(p, (row) => {
      let s = 0;
      for (const w of row) s += Math.abs(w);
      return s;
    }),
  );
}
