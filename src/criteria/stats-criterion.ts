import { PruneError } from '../errors';
import type { ChannelStats, Criterion, CriterionInput, CriterionNeed, CriterionOptions, GroupScores } from './criterion';
import { criterionOptions } from './criterion-options';

/**
 * Options of the criteria computed from data at the consumers (`taylor`, `meanActivation`,
 * `activationStd`, `apoz`). There is no `reduce`: where consumers read a group, its producers'
 * channels are already one.
 *
 * @example
 * ```ts
 * const options: DataCriterionOptions = { normalize: 'l2', flopsPenalty: 0.5 };
 * ```
 */
export type DataCriterionOptions = Omit<CriterionOptions, 'reduce'>;

/**
 * Builds a criterion that reads one statistic of the scoring pass per group. Shared by the
 * data-based built-ins.
 */
export function statsCriterion(name: string, need: CriterionNeed, options: DataCriterionOptions | undefined, pick: (s: ChannelStats) => Float32Array | undefined): Criterion {
  const { normalize, flopsPenalty } = criterionOptions(options, name, { normalize: 'l2', reduce: false });
  return {
    name,
    needs: [need],
    normalize,
    flopsPenalty,
    score(input: CriterionInput): GroupScores {
      const out: GroupScores = {};
      for (const g of input.groups) {
        const values = input.stats ? pick(input.stats[g.id]) : undefined;
        if (!values) throw new PruneError('INTERNAL', `criteria.${name}: the scoring run did not compute '${need}' statistics for group '${g.id}'.`);
        out[g.id] = Float32Array.from(values);
      }
      return out;
    },
  };
}
