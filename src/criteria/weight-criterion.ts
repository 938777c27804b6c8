import type { Criterion, CriterionInput, CriterionOptions, GroupScores, ProducerWeights } from './criterion';
import { criterionOptions } from './criterion-options';
import { reduceChannelValues } from './reduce-channel-values';

/**
 * Builds a criterion that scores each producer's rows of weights on their own, then reduces over
 * the group's producers. Shared by the weight-based built-ins.
 */
export function weightCriterion(
  name: string,
  options: CriterionOptions | undefined,
  scoreProducer: (p: ProducerWeights) => Float32Array,
): Criterion {
  const { reduce, normalize, flopsPenalty } = criterionOptions(options, name);
  return {
    name,
    needs: [],
    normalize,
    flopsPenalty,
    score(input: CriterionInput): GroupScores {
      const out: GroupScores = {};
      for (const g of input.groups) {
        const entries = input.producerWeights(g.id).map((p) => ({ channels: p.channels, values: scoreProducer(p) }));
        out[g.id] = reduceChannelValues(g.size, entries, reduce);
      }
      return out;
    },
  };
}

/** Applies `f` to every row of a producer's kernel. */
export function perRow(p: ProducerWeights, f: (row: Float32Array) => number): Float32Array {
  const out = new Float32Array(p.channels.length);
  for (let r = 0; r < out.length; r++) out[r] = f(p.kernel.subarray(r * p.fanIn, (r + 1) * p.fanIn));
  return out;
}
