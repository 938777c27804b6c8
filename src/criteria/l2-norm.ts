import type { Criterion, CriterionOptions } from './criterion';
import { perRow, weightCriterion } from './weight-criterion';

/**
 * L2 norm of each channel's kernel weights, `sqrt(sum w^2)` over the filter (Li et al. 2017 use
 * it next to L1); bias excluded. Needs no data.
 *
 * @example
 * ```ts
 * import { criteria, scoreGroups } from 'tfjs-prune';
 * const scores = await scoreGroups(model, criteria.l2Norm({ normalize: 'max' }));
 * ```
 */
export function l2Norm(options?: CriterionOptions): Criterion {
  return weightCriterion('l2Norm', options, (p) =>
    perRow(p, (row) => {
      let s = 0;
      for (const w of row) s += w * w;
      return Math.sqrt(s);
    }),
  );
}
