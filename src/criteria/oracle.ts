import { PruneError } from '../errors';
import type { Criterion, CriterionInput, GroupScores } from './criterion';
import { criterionOptions } from './criterion-options';
import type { DataCriterionOptions } from './stats-criterion';

/**
 * Options of {@link criteria.oracle}.
 *
 * @example
 * ```ts
 * const options: OracleOptions = { mode: 'loss' };
 * ```
 */
export interface OracleOptions extends DataCriterionOptions {
  /**
   * `'abs'`: the score is `|L(without k) - L|` (Molchanov et al. 2017's oracle-abs, the reference of
   * their criteria comparison, and what Taylor approximates). `'loss'`: the signed change
   * `L(without k) - L`, so channels whose removal lowers the loss rank lowest (oracle-loss).
   * Default: `'abs'`.
   */
  mode?: 'abs' | 'loss';
}

/**
 * The oracle: the measured change of the loss on the scoring data when each channel alone is
 * switched off (its consumers read zeros, exactly what removing it computes, without surgery), in
 * inference mode. One forward pass over the scoring data per channel, so it is expensive: meant
 * for evaluating other criteria ({@link evaluateCriteria}) and for small models. Needs scoring data
 * with labels. Loss changes are comparable across groups, so it is not normalised by default.
 *
 * @example
 * ```ts
 * import { criteria, scoreGroups } from 'tfjs-prune';
 * const truth = await scoreGroups(model, criteria.oracle({ mode: 'loss' }), { data: { x: xVal, y: yVal } });
 * ```
 */
export function oracle(options?: OracleOptions): Criterion {
  const { normalize, flopsPenalty } = criterionOptions(options, 'oracle', { normalize: 'none', reduce: false }, ['mode']);
  const mode = options?.mode ?? 'abs';
  if (mode !== 'abs' && mode !== 'loss') throw new PruneError('INVALID_OPTION', `criteria.oracle: mode must be 'abs' or 'loss'; got ${JSON.stringify(mode)}.`);
  return {
    name: mode === 'abs' ? 'oracle' : 'oracleLoss',
    needs: ['evaluations'],
    normalize,
    flopsPenalty,
    async score(input: CriterionInput): Promise<GroupScores> {
      const base = input.baseLoss as number;
      const out: GroupScores = {};
      for (const g of input.groups) {
        const values = new Float32Array(g.size);
        for (let k = 0; k < g.size; k++) {
          const change = (await input.evaluate({ [g.id]: [k] })) - base;
          values[k] = mode === 'abs' ? Math.abs(change) : change;
        }
        out[g.id] = values;
      }
      return out;
    },
  };
}
