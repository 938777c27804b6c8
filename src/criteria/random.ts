import { PruneError } from '../errors';
import { seededRandom } from '../util/seeded-random';
import type { Criterion, CriterionInput, GroupScores } from './criterion';
import { criterionOptions } from './criterion-options';
import type { DataCriterionOptions } from './stats-criterion';

/**
 * Options of {@link random}.
 *
 * @example
 * ```ts
 * const options: RandomOptions = { seed: 7 };
 * ```
 */
export interface RandomOptions extends DataCriterionOptions {
  /** Seed; the same seed gives the same scores for the same group ids. Default: 0. */
  seed?: number;
}

/** FNV-1a hash of a string, for a per-group random stream. */
function hash(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Uniform random scores in [0, 1), the baseline every criterion must beat. Each group draws from
 * its own stream, seeded by `seed` and the group id, so a group's scores do not depend on which
 * other groups are scored. Needs no data. Not normalised by default (`normalize: 'none'`), so a
 * global ranking removes about the same fraction of every group.
 *
 * @example
 * ```ts
 * import { criteria, scoreGroups } from 'tfjs-prune';
 * const scores = await scoreGroups(model, criteria.random({ seed: 1 }));
 * ```
 */
export function random(options?: RandomOptions): Criterion {
  const { normalize, flopsPenalty } = criterionOptions(options, 'random', { normalize: 'none', reduce: false }, ['seed']);
  const seed = options?.seed ?? 0;
  if (!Number.isInteger(seed)) throw new PruneError('INVALID_OPTION', `criteria.random: seed must be an integer; got ${String(options?.seed)}.`);
  return {
    name: 'random',
    needs: [],
    normalize,
    flopsPenalty,
    score(input: CriterionInput): GroupScores {
      const out: GroupScores = {};
      for (const g of input.groups) {
        const next = seededRandom(hash(g.id, seed));
        out[g.id] = Float32Array.from({ length: g.size }, next);
      }
      return out;
    },
  };
}
