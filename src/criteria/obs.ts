import { PruneError } from '../errors';
import { structuredObs, type ObsLayer } from '../compensation/structured-obs';
import type { ConsumerHessian } from './consumer-hessians';
import type { Criterion, CriterionInput, GroupScores } from './criterion';
import { criterionOptions } from './criterion-options';
import type { DataCriterionOptions } from './stats-criterion';

/**
 * Options of {@link criteria.obs}.
 *
 * @example
 * ```ts
 * const options: ObsOptions = { damping: 0.05 };
 * ```
 */
export interface ObsOptions extends DataCriterionOptions {
  /** Ridge damping of each layer's `X'X`, relative to the mean of its diagonal. Default: `0.01`. */
  damping?: number;
}

/** Share of a group's channels removed greedily; the rest are scored at that point (cost grows with it). */
const GREEDY_SHARE = 0.5;

/**
 * Structured Optimal Brain Surgeon (Optimal Brain Compression, Frantar & Alistarh 2022; ZipLM,
 * Kurtic et al. 2023): a channel's score is the output error its removal causes in the layers that
 * read it, *after those layers are refit* on the remaining channels, which is exactly what
 * compensation (`compensate`) then does. From each consumer's `H = X'X` over the scoring data,
 * removing the columns `M` of a channel costs `tr(W_M' (Hinv_MM)^-1 W_M)`; channels are removed
 * greedily, cheapest first, updating `W` and `Hinv` after each, so redundant channels (those the
 * others can stand in for) go first even when they are large. Errors are relative to each layer's
 * output energy and summed over the layers reading a group, so scores compare across groups
 * (normalisation `'none'` by default). Needs scoring data without labels and no gradient: the
 * label-free default of the loop. Layers wider than 2,048 columns are seen through the diagonal
 * of `X'X` only; a group read by no weighted layer (only by a shared layer, a causal
 * convolution or the model's output) is ranked by its channels' share of activation energy.
 *
 * @example
 * ```ts
 * import { criteria, scoreGroups } from 'tfjs-prune';
 * const scores = await scoreGroups(model, criteria.obs(), { data: { x: xVal } });
 * ```
 */
export function obs(options?: ObsOptions): Criterion {
  const given = options as (ObsOptions & Record<string, unknown>) | undefined;
  const { normalize, flopsPenalty } = criterionOptions(options, 'obs', { normalize: 'none', reduce: false }, ['damping']);
  const damping = given?.damping ?? 0.01;
  if (typeof damping !== 'number' || !Number.isFinite(damping) || damping < 0) {
    throw new PruneError('INVALID_OPTION', `criteria.obs: damping must be a finite number >= 0 (e.g. 0.01); got ${String(damping)}.`);
  }
  return {
    name: 'obs',
    needs: ['hessians', 'activations'],
    normalize,
    flopsPenalty,
    async score(input: CriterionInput): Promise<GroupScores> {
      if (input.hessians === null || input.stats === null) {
        throw new PruneError('INTERNAL', "criteria.obs: the scoring run did not compute the 'hessians' and 'activations' it needs.");
      }
      const out: GroupScores = {};
      for (const g of input.groups) {
        const consumers = input.hessians[g.id] ?? [];
        out[g.id] = consumers.length > 0 ? groupScores(consumers, g.size, damping) : energyScores(input, g.id, g.size);
        await Promise.resolve();
      }
      return out;
    },
  };
}

function groupScores(consumers: readonly ConsumerHessian[], size: number, damping: number): Float32Array {
  const full: ObsLayer[] = [];
  let extra: Float64Array | undefined;
  for (const h of consumers) {
    if (h.gram !== null) {
      full.push({ size: h.size, outputs: h.outputs, gram: h.gram, weights: h.weights, channels: h.channels, bias: h.bias });
      continue;
    }
    // Too wide for a full Gram matrix: each channel's share of the layer's output energy, correlations ignored.
    const part = new Float64Array(size);
    let total = 0;
    for (let j = 0; j < h.size; j++) {
      let w2 = 0;
      for (let o = 0; o < h.outputs; o++) w2 += h.weights[j * h.outputs + o] ** 2;
      const e = h.diagonal[j] * w2;
      total += e;
      if (h.channels[j] >= 0) part[h.channels[j]] += e;
    }
    if (total > 0) {
      extra ??= new Float64Array(size);
      for (let c = 0; c < size; c++) extra[c] += part[c] / total;
    }
  }
  const scores = structuredObs(full, size, { damping, steps: Math.ceil(size * GREEDY_SHARE), ...(extra ? { extra } : {}) });
  return Float32Array.from(scores);
}

/** Cumulative share of activation energy, smallest channels first (for groups no weighted layer reads). */
function energyScores(input: CriterionInput, groupId: string, size: number): Float32Array {
  const s = input.stats![groupId];
  const energy = Float64Array.from({ length: size }, (_, c) => {
    const mean = s.meanActivation?.[c] ?? 0;
    const std = s.activationStd?.[c] ?? 0;
    return (mean * mean + std * std) * s.positions[c];
  });
  const total = energy.reduce((a, b) => a + b, 0) || 1;
  const order = Array.from({ length: size }, (_, c) => c).sort((a, b) => energy[a] - energy[b] || a - b);
  const scores = new Float32Array(size);
  let cumulative = 0;
  for (const c of order) {
    cumulative += energy[c] / total;
    scores[c] = cumulative;
  }
  return scores;
}
