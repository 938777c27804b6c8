import type * as tf from '@tensorflow/tfjs';
import type { ResolvedModel } from '../graph/resolve-model';
import { countParams } from '../metrics/count-params';
import { prune } from '../surgery/prune';
import { PruneError } from '../errors';

/**
 * For every channel of the given groups, the share of the model's weights that removing one
 * channel saves. The channels of a group hold the same number of weights (their slices of the
 * member layers; groups tied across a Concatenate may differ slightly), so one trial surgery per
 * group measures it.
 */
export function channelParamsShare(model: tf.LayersModel, resolved: ResolvedModel, groupIds: readonly string[]): Record<string, Float32Array> {
  const total = countParams(model).total;
  const out: Record<string, Float32Array> = {};
  for (const id of groupIds) {
    const group = resolved.groupById.get(id)!;
    let saved = 0;
    // Channel 0 unless removing it would empty a producer that makes only part of the group.
    for (let c = 0; c < group.size && group.size > 1; c++) {
      let trial: tf.LayersModel;
      try {
        trial = prune(model, { [id]: [c] });
      } catch (e) {
        if (e instanceof PruneError && e.code === 'REMOVES_ALL_CHANNELS') continue;
        throw e;
      }
      try {
        saved = total - countParams(trial).total;
      } finally {
        trial.dispose();
      }
      break;
    }
    out[id] = new Float32Array(group.size).fill(total > 0 ? saved / total : 0);
  }
  return out;
}
