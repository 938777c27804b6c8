import { PruneError } from '../errors';
import type { GroupScores, Normalization } from './criterion';

const MODES: readonly Normalization[] = ['l2', 'max', 'none'];

/** Throws a PruneError unless `mode` is a known normalisation. */
export function assertNormalization(mode: unknown, where: string): asserts mode is Normalization {
  if (!MODES.includes(mode as Normalization)) {
    throw new PruneError('INVALID_OPTION', `${where}: normalize must be one of ${MODES.map((m) => `'${m}'`).join(', ')}; got ${JSON.stringify(mode)}.`);
  }
}

/** Normalises one group's scores (a new array; a group of zeros stays zeros). */
export function normalizeGroup(values: Float32Array, mode: Normalization): Float32Array {
  if (mode === 'none') return Float32Array.from(values);
  let scale = 0;
  if (mode === 'l2') {
    for (const v of values) scale += v * v;
    scale = Math.sqrt(scale);
  } else {
    for (const v of values) scale = Math.max(scale, Math.abs(v));
  }
  return scale > 0 ? values.map((v) => v / scale) : Float32Array.from(values);
}

/**
 * Normalises the scores of every group on its own, so that one ranking across groups is fair:
 * `'l2'` divides a group's scores by their L2 norm (Molchanov et al. 2017), `'max'` by their
 * largest absolute value, `'none'` copies them. Returns new arrays; the input is not modified.
 *
 * @example
 * ```ts
 * import { normalizeScores } from 'tfjs-prune';
 *
 * normalizeScores({ a: Float32Array.from([3, 4]), b: Float32Array.from([1, 0]) }, 'l2');
 * // { a: [0.6, 0.8], b: [1, 0] }
 * ```
 */
export function normalizeScores(scores: GroupScores, mode: Normalization): GroupScores {
  assertNormalization(mode, 'normalizeScores');
  return Object.fromEntries(Object.entries(scores).map(([id, v]) => [id, normalizeGroup(v, mode)]));
}
