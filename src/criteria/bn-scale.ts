import { PruneError } from '../errors';
import type { Criterion, CriterionInput, CriterionOptions, GroupScores } from './criterion';
import { criterionOptions } from './criterion-options';
import { reduceChannelValues } from './reduce-channel-values';

/**
 * Options of {@link criteria.bnScale}.
 *
 * @example
 * ```ts
 * const options: BnScaleOptions = { fallback: criteria.l1Norm() };
 * ```
 */
export interface BnScaleOptions extends CriterionOptions {
  /**
   * Criterion for the groups that have no BatchNormalization with a scale (Dense layers without BN,
   * `scale: false`). Its raw scores are used for those groups. Default: none, and such groups make
   * `bnScale` throw a `NOT_APPLICABLE` PruneError naming them.
   */
  fallback?: Criterion;
}

/**
 * The absolute BatchNormalization scale `|gamma|` of each channel (Network Slimming, Liu et al.
 * 2017): the BN after a conv multiplies each channel by gamma, so a small `|gamma|` means a
 * channel the next layer barely sees. Needs no data. Several BN layers in one group (both branches
 * of a residual Add) are combined with `reduce` (default mean).
 *
 * @example
 * ```ts
 * import { criteria, scoreGroups } from 'tfjs-prune';
 * const scores = await scoreGroups(model, criteria.bnScale({ fallback: criteria.l1Norm() }));
 * ```
 */
export function bnScale(options?: BnScaleOptions): Criterion {
  const { reduce, normalize, flopsPenalty } = criterionOptions(options, 'bnScale', undefined, ['fallback']);
  const fallback = options?.fallback;
  if (fallback !== undefined && (typeof fallback !== 'object' || fallback === null || typeof fallback.score !== 'function')) {
    throw new PruneError('INVALID_OPTION', 'criteria.bnScale: fallback must be a criterion (e.g. criteria.l1Norm()).');
  }
  return {
    name: 'bnScale',
    needs: fallback ? [...fallback.needs] : [],
    normalize,
    flopsPenalty,
    async score(input: CriterionInput): Promise<GroupScores> {
      const out: GroupScores = {};
      const missing: string[] = [];
      for (const g of input.groups) {
        const entries = input.batchNormScales(g.id).map((s) => ({ channels: s.channels, values: s.values.map(Math.abs) }));
        const v = reduceChannelValues(g.size, entries, reduce);
        if (v.some((x) => Number.isNaN(x))) missing.push(g.id);
        else out[g.id] = v;
      }
      if (missing.length === 0) return out;
      if (!fallback) {
        throw new PruneError(
          'NOT_APPLICABLE',
          `criteria.bnScale cannot score group(s) ${missing.join(', ')}: not every channel passes through a BatchNormalization with a scale (gamma). ` +
            'Give a fallback (criteria.bnScale({ fallback: criteria.l1Norm() })), or score only groups with BN via the `groups` option.',
        );
      }
      const rest = await fallback.score({ ...input, groups: input.groups.filter((g) => missing.includes(g.id)) });
      for (const id of missing) out[id] = rest[id];
      return out;
    },
  };
}
