import { PruneError } from '../errors';
import type { Criterion, CriterionInput, CriterionOptions, GroupScores } from './criterion';
import { criterionOptions } from './criterion-options';
import { reduceChannelValues } from './reduce-channel-values';

/**
 * First-order Taylor importance on weights (Molchanov et al. 2019, "Importance Estimation for
 * Neural Network Pruning"): for each channel, `(sum over its producer weights w, bias included, of
 * w * dL/dw)^2`, with `L` the mean loss of a scoring batch, averaged over the batches. It is the
 * squared first-order change of the loss when the whole filter is removed. Needs scoring data with
 * labels; shares the backward pass of {@link taylor}. Several producers are combined with `reduce`.
 *
 * @example
 * ```ts
 * import { criteria, scoreGroups } from 'tfjs-prune';
 * const scores = await scoreGroups(model, criteria.taylorWeight(), { data: { x: xVal, y: yVal } });
 * ```
 */
export function taylorWeight(options?: CriterionOptions): Criterion {
  const { reduce, normalize, flopsPenalty } = criterionOptions(options, 'taylorWeight');
  return {
    name: 'taylorWeight',
    needs: ['weightGradients'],
    normalize,
    flopsPenalty,
    score(input: CriterionInput): GroupScores {
      const out: GroupScores = {};
      for (const g of input.groups) {
        const entries = input.stats?.[g.id]?.weightTaylor;
        if (!entries) throw new PruneError('INTERNAL', `criteria.taylorWeight: the scoring run did not compute weight gradients for group '${g.id}'.`);
        out[g.id] = reduceChannelValues(g.size, entries, reduce);
      }
      return out;
    },
  };
}
