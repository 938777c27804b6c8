import type { Criterion } from './criterion';
import { statsCriterion, type DataCriterionOptions } from './stats-criterion';

/**
 * First-order Taylor expansion of the loss change (Molchanov et al. 2017, "Pruning Convolutional
 * Neural Networks for Resource Efficient Inference"), the default criterion. For feature map `k`
 * and example `n`: `theta(n,k) = |(1/M) sum over positions m of z(n,m,k) * dC/dz(n,m,k)|`, averaged
 * over the examples of the scoring data, where `z` is what the consumers read (after BN, the
 * activation, pooling) and `C` the example's loss. Computed in one backward pass per batch through
 * a per-example, per-channel gate at every consumer input (`dC/dgate = sum z * dC/dz`). Needs
 * scoring data with labels. Normalised per group by L2 by default, as in the paper.
 *
 * @example
 * ```ts
 * import { criteria, scoreGroups } from 'tfjs-prune';
 * const scores = await scoreGroups(model, criteria.taylor(), { data: { x: xVal, y: yVal } });
 * ```
 */
export function taylor(options?: DataCriterionOptions): Criterion {
  return statsCriterion('taylor', 'gradients', options, (s) => s.taylor);
}
