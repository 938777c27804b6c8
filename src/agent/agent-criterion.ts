import { PruneError } from '../errors';
import type { Criterion, CriterionInput, GroupScores } from '../criteria/criterion';
import { trainLayerAgent, type AgentTrainingOptions } from './train-layer-agent';

/**
 * Options of {@link agentCriterion}.
 *
 * @example
 * ```ts
 * const options: AgentCriterionOptions = { b: 0.01, updatesPerLayer: 20 };
 * ```
 */
export interface AgentCriterionOptions extends Omit<AgentTrainingOptions, 'evaluationExamples' | 'minChannels' | 'candidateFineTuneSteps'> {
  /** The accuracy drop each group's agent accepts (0.01 = one point). Required. */
  b: number;
  /** Seed of the agents. Default: 0. */
  seed?: number;
}

/**
 * The learned pruning agent (Huang et al. 2018) as a criterion, so it plugs into
 * `pruneIteratively` and its schedules and stopping policies: at every step, for every group, an
 * agent is trained with REINFORCE on the current model (rewards from accuracies measured with gates
 * on the scoring data) and its keep probabilities are the scores (higher = keep). The schedule then
 * removes the channels the agents are least willing to keep. Needs labelled scoring data of a
 * single-output classifier. Costs `updatesPerLayer x samplesPerUpdate` forward passes of the scoring
 * data per group and step. Not normalised by default (probabilities compare across groups).
 *
 * @example
 * ```ts
 * import { agentCriterion, pruneIteratively, targetFlops } from 'tfjs-prune';
 *
 * await pruneIteratively(model, { train: { x: xTrain, y: yTrain }, validation: { x: xVal, y: yVal } }, {
 *   criterion: agentCriterion({ b: 0.01, updatesPerLayer: 20 }),
 *   compile: { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
 *   stop: targetFlops(0.5),
 * });
 * ```
 */
export function agentCriterion(options: AgentCriterionOptions): Criterion {
  if (options === null || typeof options !== 'object' || typeof options.b !== 'number' || !(options.b > 0) || !Number.isFinite(options.b)) {
    throw new PruneError('INVALID_OPTION', `agentCriterion: b, the accuracy drop each agent accepts, must be a positive number (0.01 = one point); got ${String(options?.b)}.`);
  }
  const training = {
    samplesPerUpdate: options.samplesPerUpdate ?? 8,
    updatesPerLayer: options.updatesPerLayer ?? 40,
    learningRate: options.learningRate ?? 0.05,
    hidden: options.hidden ?? 32,
    initialKeep: options.initialKeep ?? 0.9,
    evaluationExamples: 0,
    minChannels: 1,
    candidateFineTuneSteps: 0,
  };
  const seed = options.seed ?? 0;
  return {
    name: 'agent',
    needs: ['evaluations'],
    normalize: 'none',
    async score(input: CriterionInput): Promise<GroupScores> {
      const out: GroupScores = {};
      for (const [index, g] of input.groups.entries()) {
        const accuracyWith = (keep: Float32Array): Promise<number> => {
          const drop: number[] = [];
          keep.forEach((k, c) => k === 0 && drop.push(c));
          return input.evaluate(drop.length > 0 ? { [g.id]: drop } : {}, 'accuracy');
        };
        const { keepProbabilities } = await trainLayerAgent(g.id, g.size, input.producerWeights(g.id), accuracyWith, options.b, training, seed * 7919 + index);
        out[g.id] = keepProbabilities;
      }
      return out;
    },
  };
}
