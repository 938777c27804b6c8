import { PruneError } from '../errors';
import type { ChannelValues, Reduction } from './criterion';

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'max', 'min'];

/** Throws a PruneError unless `mode` is a known reduction. */
export function assertReduction(mode: unknown, where: string): asserts mode is Reduction {
  if (!REDUCTIONS.includes(mode as Reduction)) {
    throw new PruneError('INVALID_OPTION', `${where}: reduce must be one of ${REDUCTIONS.map((r) => `'${r}'`).join(', ')}; got ${JSON.stringify(mode)}.`);
  }
}

/**
 * Combines values of group channels from several sources (one per producer of a group, one per
 * BatchNormalization...) into one value per channel: the mean, sum, max or min of the entries
 * each channel has. A channel without any entry gets `NaN`.
 *
 * @param size Channels of the group.
 * @param entries The sources; `entries[j].values[i]` belongs to channel `entries[j].channels[i]`.
 * @param mode How entries of one channel combine. Default: `'mean'`.
 *
 * @example
 * ```ts
 * import { reduceChannelValues } from 'tfjs-prune';
 *
 * const a = { channels: Int32Array.from([0, 1]), values: Float32Array.from([1, 4]) };
 * const b = { channels: Int32Array.from([0, 1]), values: Float32Array.from([3, 2]) };
 * reduceChannelValues(2, [a, b], 'mean'); // Float32Array [2, 3]
 * reduceChannelValues(2, [a, b], 'max');  // Float32Array [3, 4]
 * ```
 */
export function reduceChannelValues(size: number, entries: readonly ChannelValues[], mode: Reduction = 'mean'): Float32Array {
  assertReduction(mode, 'reduceChannelValues');
  const acc = new Float64Array(size).fill(mode === 'max' ? -Infinity : mode === 'min' ? Infinity : 0);
  const count = new Int32Array(size);
  for (const { channels, values } of entries) {
    if (channels.length !== values.length) {
      throw new PruneError('INTERNAL', `reduceChannelValues: ${channels.length} channels but ${values.length} values in one entry.`);
    }
    channels.forEach((c, i) => {
      const v = values[i];
      count[c]++;
      if (mode === 'max') acc[c] = Math.max(acc[c], v);
      else if (mode === 'min') acc[c] = Math.min(acc[c], v);
      else acc[c] += v;
    });
  }
  const out = new Float32Array(size);
  for (let c = 0; c < size; c++) out[c] = count[c] === 0 ? NaN : mode === 'mean' ? acc[c] / count[c] : acc[c];
  return out;
}
