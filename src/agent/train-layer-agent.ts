import * as tf from '@tensorflow/tfjs';
import type { ProducerWeights } from '../criteria/criterion';
import { seededRandom } from '../util/seeded-random';
import { agentReward } from './agent-reward';
import { PruningAgent } from './pruning-agent';
import type { AgentLayerTrace } from '../report/report-json';

/**
 * How the agent of each layer is trained (Huang et al. 2018 leave these choices open).
 *
 * @example
 * ```ts
 * const agent: AgentTrainingOptions = { samplesPerUpdate: 8, updatesPerLayer: 40, learningRate: 0.01 };
 * ```
 */
export interface AgentTrainingOptions {
  /** Actions sampled per REINFORCE update (their mean reward is the baseline). Default: 8. */
  samplesPerUpdate?: number;
  /** Update budget per layer; training stops earlier once every keep probability is within 0.02 of 0 or 1. Default: 40. */
  updatesPerLayer?: number;
  /** Adam learning rate of the agent. Default: 0.05. */
  learningRate?: number;
  /** Hidden units of the agent. Default: 32. */
  hidden?: number;
  /** Keep probability of every channel before training. Default: 0.9. */
  initialKeep?: number;
  /** Validation examples the candidates are evaluated on (the first ones; a dataset's first 8 batches). Default: 512. */
  evaluationExamples?: number;
  /** Channels the greedy policy always keeps per layer (the most probable ones). Default: 1. */
  minChannels?: number;
  /**
   * Minibatches of fine-tuning (with the candidate's channels switched off) before measuring each
   * candidate's accuracy `p_hat`, the weights restored afterwards: the paper's option of judging a
   * candidate after a little recovery. Multiplies the cost of training the agent. Default: 0.
   */
  candidateFineTuneSteps?: number;
}

/** Resolved agent training settings. */
export type ResolvedAgentTraining = Required<AgentTrainingOptions>;

/** Per-channel rows of a group, producers side by side (zeros where a producer lacks the channel). */
export function groupRows(size: number, producers: readonly ProducerWeights[]): tf.Tensor2D {
  const width = producers.reduce((n, p) => n + p.fanIn, 0);
  const rows = new Float32Array(size * width);
  let offset = 0;
  for (const p of producers) {
    p.channels.forEach((c, r) => rows.set(p.kernel.subarray(r * p.fanIn, (r + 1) * p.fanIn), c * width + offset));
    offset += p.fanIn;
  }
  return tf.tensor2d(rows, [size, Math.max(1, width)]);
}

/** What training one layer's agent produced. */
export interface LayerAgentResult {
  /** Channels the greedy policy drops. */
  drop: number[];
  /** The trained agent's keep probability per channel. */
  keepProbabilities: Float32Array;
  trace: AgentLayerTrace;
}

/**
 * Trains the agent of one group with REINFORCE and returns its greedy decision: samples
 * `samplesPerUpdate` keep/drop actions from the agent's probabilities, evaluates each with
 * `accuracyWith(keep)` (gates: one forward pass of the evaluation examples, no surgery),
 * rewards it with {@link agentReward}, and updates the agent with the rewards minus their mean.
 */
export async function trainLayerAgent(
  groupId: string,
  size: number,
  producers: readonly ProducerWeights[],
  accuracyWith: (keep: Float32Array) => Promise<number>,
  bound: number,
  options: ResolvedAgentTraining,
  seed: number,
  signal?: AbortSignal,
): Promise<LayerAgentResult> {
  const start = performance.now();
  const accuracy = await accuracyWith(new Float32Array(size).fill(1));
  const rows = groupRows(size, producers);
  const agent = new PruningAgent(rows, { hidden: options.hidden, learningRate: options.learningRate, initialKeep: options.initialKeep, seed });
  rows.dispose();
  const random = seededRandom(seed ^ 0x5bd1e995);
  const updates: AgentLayerTrace['updates'] = [];
  try {
    for (let u = 0; u < options.updatesPerLayer; u++) {
      if (signal?.aborted) break;
      const p = agent.keepProbabilities();
      if (u > 0 && p.every((v) => v < 0.02 || v > 0.98)) break;
      const actions: Float32Array[] = [];
      const rewards: number[] = [];
      const accuracies: number[] = [];
      for (let i = 0; i < options.samplesPerUpdate; i++) {
        const a = Float32Array.from(p, (v) => (random() < v ? 1 : 0));
        // An action keeps at least one channel: the most probable one.
        if (!a.some((v) => v === 1)) a[p.indexOf(Math.max(...p))] = 1;
        const kept = a.reduce((n, v) => n + v, 0);
        const prunedAccuracy = kept === size ? accuracy : await accuracyWith(a);
        actions.push(a);
        accuracies.push(prunedAccuracy);
        rewards.push(agentReward({ accuracy, prunedAccuracy, bound, channels: size, kept }).reward);
      }
      const baseline = rewards.reduce((x, y) => x + y, 0) / rewards.length;
      agent.update(actions, rewards.map((r) => r - baseline));
      updates.push({
        reward: baseline,
        keptFraction: actions.reduce((n, a) => n + a.reduce((m, v) => m + v, 0), 0) / (actions.length * size),
        accuracy: accuracies.reduce((x, y) => x + y, 0) / accuracies.length,
      });
    }
    // The greedy policy: keep what the agent keeps with probability >= 0.5, at least minChannels.
    const p = agent.keepProbabilities();
    const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a] || a - b);
    const keep = new Set(order.filter((c) => p[c] >= 0.5));
    for (const c of order) {
      if (keep.size >= Math.min(size, options.minChannels)) break;
      keep.add(c);
    }
    const drop = order.filter((c) => !keep.has(c)).sort((a, b) => a - b);
    const greedy = Float32Array.from({ length: size }, (_, c) => (keep.has(c) ? 1 : 0));
    const greedyAccuracy = drop.length === 0 ? accuracy : await accuracyWith(greedy);
    return {
      drop,
      keepProbabilities: p,
      trace: { group: groupId, channels: size, kept: keep.size, dropped: drop, accuracy, greedyAccuracy, updates, seconds: (performance.now() - start) / 1000 },
    };
  } finally {
    agent.dispose();
  }
}
