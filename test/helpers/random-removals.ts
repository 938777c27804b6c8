import type * as tf from '@tensorflow/tfjs';
import { analyze } from '../../src/graph/analyze';
import { PruneError } from '../../src/errors';
import { resolveModel, type ResolvedModel } from '../../src/graph/resolve-model';
import { validateRemovals, type Removals } from '../../src/surgery/validate-removals';

function emptiesATensor(resolved: ResolvedModel, removals: Removals): boolean {
  try {
    validateRemovals(resolved, removals);
    return false;
  } catch (e) {
    if (e instanceof PruneError && e.code === 'REMOVES_ALL_CHANNELS') return true;
    throw e;
  }
}

/**
 * Picks, for every prunable group, a random strict subset of its channels (from a seed), never one
 * that would remove every output channel of a layer.
 */
export function randomRemovals(model: tf.LayersModel, seed: number, fraction: number): Removals {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const removals: Record<string, number[]> = {};
  const resolved = resolveModel(model);
  for (const g of analyze(model).groups) {
    if (!g.prunable || g.size < 2) continue;
    const count = Math.min(g.size - 1, Math.floor(next() * fraction * g.size + next()));
    const order = Array.from({ length: g.size }, (_, i) => i).sort(() => next() - 0.5);
    if (count > 0) removals[g.id] = order.slice(0, count);
    // A group tied by an Add to a Concatenate is wider than some of its producers: never empty one.
    if (count > 0 && emptiesATensor(resolved, removals)) delete removals[g.id];
  }
  return removals;
}
