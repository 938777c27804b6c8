import type { Analysis, Removals } from '../../src/index';
import { PruneError } from '../../src/errors';
import { seededRandom } from '../../src/util/seeded-random';

/** Options of {@link seededRemovals}. */
export interface SeededRemovalsArgs {
  /** Share of each prunable group's channels to remove, in `[0, 1)`; rounded per group. Default: 0.3. */
  fraction?: number;
  /** Seed of the channel choice. Default: 1. */
  seed?: number;
}

/**
 * A removal plan that drops `round(fraction * size)` seeded-random channels from every prunable
 * group (at least one channel always stays). Groups are visited in the order `analyze` lists
 * them, so the same analysis and seed always give the same plan.
 *
 * @example
 * ```ts
 * import { analyze, prune } from '../../src/index';
 * import { seededRemovals } from './seeded-removals';
 *
 * const smaller = prune(model, seededRemovals(analyze(model), { fraction: 0.3, seed: 7 }));
 * ```
 */
export function seededRemovals(analysis: Analysis, args: SeededRemovalsArgs = {}): Removals {
  const fraction = args.fraction ?? 0.3;
  const seed = args.seed ?? 1;
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction < 1)) {
    throw new PruneError('INVALID_OPTION', `seededRemovals: 'fraction' must be a number in [0, 1), got ${String(fraction)}. Pass e.g. { fraction: 0.3 }.`);
  }
  if (!Number.isInteger(seed)) {
    throw new PruneError('INVALID_OPTION', `seededRemovals: 'seed' must be an integer, got ${String(seed)}.`);
  }
  const random = seededRandom(seed);
  const removals: Record<string, number[]> = {};
  for (const group of analysis.groups) {
    if (!group.prunable) continue;
    const count = Math.min(Math.round(fraction * group.size), group.size - 1);
    if (count === 0) continue;
    // Partial Fisher-Yates shuffle: the first `count` entries are a uniform random subset.
    const indices = Array.from({ length: group.size }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(random() * (group.size - i));
      [indices[i], indices[j]] = [indices[j], indices[i]];
    }
    removals[group.id] = indices.slice(0, count).sort((a, b) => a - b);
  }
  return removals;
}
