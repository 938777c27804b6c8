import type * as tf from '@tensorflow/tfjs';
import { countFlops } from '../metrics/count-flops';
import { countParams } from '../metrics/count-params';
import { prune } from '../surgery/prune';
import type { Removals } from '../surgery/validate-removals';

/** Number of channels in a plan. */
const planSize = (removals: Removals): number => Object.values(removals).reduce((n, r) => n + (r as ArrayLike<number>).length, 0);

/**
 * The step that would cross the target, shrunk to what reaching it needs: when the full plan's
 * model meets the target, the smallest channel count whose plan (same ranking) meets it too, found
 * by bisection over trial surgeries (plans of growing counts are nested under a global ranking).
 * Returns the plan and its model (the full plan's when even it misses the target); trial models
 * not chosen are disposed.
 */
export function landOnTarget(
  model: tf.LayersModel,
  full: Removals,
  plan: (count: number) => Removals,
  meets: (cost: { flops: number; params: number }) => boolean,
  at: { inputShape?: number[][] },
): { removals: Removals; model: tf.LayersModel } {
  const costOf = (m: tf.LayersModel) => ({ flops: countFlops(m, at).total, params: countParams(m).total });
  const fullModel = prune(model, full);
  if (!meets(costOf(fullModel))) return { removals: full, model: fullModel };
  let best = { removals: full, model: fullModel, n: planSize(full) };
  let lo = 1;
  let hi = best.n - 1;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const removals = plan(mid);
    const n = planSize(removals);
    const trial = n === 0 ? null : prune(model, removals);
    if (trial !== null && n < best.n && meets(costOf(trial))) {
      best.model.dispose();
      best = { removals, model: trial, n };
      hi = mid - 1;
    } else {
      trial?.dispose();
      lo = mid + 1;
    }
  }
  return { removals: best.removals, model: best.model };
}

