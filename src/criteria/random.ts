import { PruneError } from '../errors';
import { seededRandom } from '../util/seeded-random';
import type { Criterion, CriterionInput, GroupScores, ProducerWeights } from './criterion';
import { criterionOptions } from './criterion-options';
import type { DataCriterionOptions } from './stats-criterion';

/**
 * Options of {@link criteria.random}.
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

/** A short fingerprint of a group's producer weights: it changes whenever the model is trained or pruned. */
function fingerprint(producers: readonly ProducerWeights[]): string {
  let h = 0x9e3779b9;
  for (const p of producers) {
    const bits = new Uint32Array(p.kernel.buffer, p.kernel.byteOffset, p.kernel.length);
    // Every weight would be exact but slow for large layers: 64 spread samples are plenty.
    const stride = Math.max(1, Math.floor(bits.length / 64));
    for (let i = 0; i < bits.length; i += stride) h = Math.imul(h ^ bits[i], 0x01000193) >>> 0;
  }
  return h.toString(16);
}

/**
 * Uniform random scores in [0, 1), the baseline every criterion must beat. Each group draws from
 * its own stream, seeded by `seed`, the group id, its width and a fingerprint of its weights: the
 * same model and seed always give the same scores, a group's scores do not depend on which other
 * groups are scored, and each step of a pruning loop (a new, fine-tuned model) draws afresh, as a
 * random baseline must (with fixed draws, a group whose first draws happen to be low would lose
 * channels at every step). Needs no data. Not normalised by default (`normalize: 'none'`), so
 * `ranking: 'global'` removes about the same fraction of every group (the default `'cost'` ranking
 * divides each draw by the channel's cost share, so the dear groups lose more).
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
        const next = seededRandom(hash(`${g.id}\u0000${g.size}\u0000${fingerprint(input.producerWeights(g.id))}`, seed));
        out[g.id] = Float32Array.from({ length: g.size }, next);
      }
      return out;
    },
  };
}
