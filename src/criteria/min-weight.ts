import type { Criterion, CriterionOptions } from './criterion';
import { perRow, weightCriterion } from './weight-criterion';

/**
 * Mean of the squared kernel weights of each channel, `(1/|w|) sum w^2` (the "minimum weight"
 * criterion of Molchanov et al. 2017); bias excluded. Needs no data. Unlike {@link l2Norm}, it does
 * not grow with the filter's size.
 *
 * @example
 * ```ts
 * import { criteria, scoreGroups } from 'tfjs-prune';
 * const scores = await scoreGroups(model, criteria.minWeight());
 * ```
 */
export function minWeight(options?: CriterionOptions): Criterion {
  return weightCriterion('minWeight', options, (p) =>
    perRow(p, (row) => {
      let s = 0;
      for (const w of row) s += w * w;
      return row.length > 0 ? s / row.length : 0;
    }),
  );
}
