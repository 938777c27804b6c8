import * as tf from '@tensorflow/tfjs';
import { analyze, prune } from '../../src/index';
import type { Criterion, GroupScores } from '../../src/index';
import { perExampleLoss } from '../../src/data/per-example-loss';
import { spearman } from '../../src/criteria/spearman';

/**
 * Diagnostic criterion, not a built-in: Taylor without the 1/M of Molchanov et al. 2017's formula,
 * `mean over examples of |sum over positions of z * dC/dz|`, not normalised. Within a layer it
 * ranks exactly as `criteria.taylor()` (M is the same for every channel of a group); across layers
 * its raw values estimate each channel's loss change on one scale, the oracle's.
 *
 * @example
 * ```ts
 * const { rows } = await evaluateCriteria(model, { x, y }, [criteria.taylor(), taylorSumCriterion()]);
 * ```
 */
export function taylorSumCriterion(): Criterion {
  return {
    name: 'taylorSum (diagnostic)',
    needs: ['gradients'],
    normalize: 'none',
    score: (input) =>
      Object.fromEntries(
        input.groups.map((g) => {
          const s = input.stats![g.id];
          return [g.id, s.taylor!.map((t, c) => t * s.positions[c])];
        }),
      ),
  };
}

/**
 * A criterion that returns scores computed elsewhere (e.g. the oracle on other examples), so
 * `evaluateCriteria` can compare them with its own oracle. Not normalised.
 *
 * @example
 * ```ts
 * const previous = fixedScores('oracle on examples 0..511', result.oracleScores);
 * ```
 */
export function fixedScores(name: string, scores: GroupScores): Criterion {
  return { name, needs: [], normalize: 'none', score: () => scores };
}

/**
 * Exact per-example loss changes: for every channel of every prunable group, the loss of each
 * example under `prune(model, { [group]: [channel] })` minus its loss under `model` (one pruned
 * model and one `predict` over the data per channel). `result[group][channel][n]` is example n's
 * change. Their mean is the signed oracle; their mean absolute value is what Taylor estimates.
 *
 * @example
 * ```ts
 * const changes = await perExampleLossChanges(model, x, y, 'categoricalCrossentropy');
 * const meanAbs = changes.conv1.map((c) => c.reduce((s, v) => s + Math.abs(v), 0) / c.length);
 * ```
 */
export async function perExampleLossChanges(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, loss: string): Promise<Record<string, Float32Array[]>> {
  const lossOf = perExampleLoss(model, loss);
  const lossesOf = async (m: tf.LayersModel): Promise<Float32Array> => {
    const t = tf.tidy(() => lossOf([y], [m.predict(x, { batchSize: 256 }) as tf.Tensor]));
    try {
      return (await t.data()) as Float32Array;
    } finally {
      t.dispose();
    }
  };
  const base = await lossesOf(model);
  const out: Record<string, Float32Array[]> = {};
  for (const g of analyze(model).groups.filter((group) => group.prunable)) {
    out[g.id] = [];
    for (let k = 0; k < g.size; k++) {
      const pruned = prune(model, { [g.id]: [k] });
      try {
        const l = await lossesOf(pruned);
        out[g.id].push(l.map((v, n) => v - base[n]));
      } finally {
        pruned.dispose();
      }
    }
  }
  return out;
}

/**
 * Per-channel summary of {@link perExampleLossChanges}: `f` applied over the examples.
 *
 * @example
 * ```ts
 * const meanAbs = summarizeChanges(changes, (c) => c.reduce((s, v) => s + Math.abs(v), 0) / c.length);
 * ```
 */
export function summarizeChanges(changes: Record<string, Float32Array[]>, f: (perExample: Float32Array) => number): GroupScores {
  return Object.fromEntries(Object.entries(changes).map(([id, list]) => [id, Float32Array.from(list, f)]));
}

/**
 * Markdown rows of per-layer Spearman correlations of several criteria's scores with a reference,
 * optionally on a subset of channels per layer; `perLayer` is the mean over layers (NaN skipped).
 *
 * @example
 * ```ts
 * const lines = spearmanRows(scoresByCriterion, reference, ['conv1', 'fc1']);
 * ```
 */
export function spearmanRows(
  scoresByCriterion: ReadonlyMap<string, GroupScores>,
  reference: GroupScores,
  layers: readonly string[],
  subset?: Record<string, number[]>,
): Array<{ criterion: string; perLayer: number; layers: number[] }> {
  return [...scoresByCriterion].map(([criterion, scores]) => {
    const rho = layers.map((l) => {
      const idx = subset?.[l] ?? Array.from(reference[l].keys());
      return spearman(
        idx.map((i) => scores[l][i]),
        idx.map((i) => reference[l][i]),
      );
    });
    const valid = rho.filter((r) => !Number.isNaN(r));
    return { criterion, perLayer: valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : NaN, layers: rho };
  });
}
