import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../util/seeded-random';

/**
 * Options of a {@link PruningAgent}.
 *
 * @example
 * ```ts
 * const options: PruningAgentOptions = { hidden: 32, learningRate: 0.01, initialKeep: 0.9, seed: 1 };
 * ```
 */
export interface PruningAgentOptions {
  /** Units of the agent's hidden layer. Default: 32. */
  hidden?: number;
  /** Adam learning rate of the agent. Default: 0.01. */
  learningRate?: number;
  /** Keep probability of every channel before training, in (0, 1). Default: 0.9. */
  initialKeep?: number;
  /** Seed of the agent's initial weights. Default: 0. */
  seed?: number;
}

/**
 * The policy network of one layer (Huang et al. 2018): it reads each channel's filter weights and
 * gives the probability of keeping the channel. Each channel's row of weights is scaled by the
 * layer's largest row norm (so magnitudes compare within the layer) and extended with that
 * relative norm; a small network shared by all channels (`tanh` hidden layer) maps it to a logit,
 * plus a learned per-channel offset, so the agent can also learn decisions the weights alone do
 * not show (a filter that duplicates another, one whose consumers ignore it).
 *
 * @example
 * ```ts
 * // One row of weights per channel: a Dense kernel is [fanIn, units], so transpose it.
 * const rows = tf.tidy(() => (model.getLayer('fc1').getWeights()[0] as tf.Tensor2D).transpose<tf.Tensor2D>());
 * const agent = new PruningAgent(rows, { seed: 1 });
 * const p = agent.keepProbabilities(); // Float32Array, one per channel
 * rows.dispose();
 * agent.dispose();
 * ```
 */
export class PruningAgent {
  private readonly features: tf.Tensor2D;
  private readonly w1: tf.Variable;
  private readonly b1: tf.Variable;
  private readonly w2: tf.Variable;
  private readonly bias: tf.Variable;
  private readonly optimizer: tf.Optimizer;
  /** Channels of the layer. */
  readonly channels: number;

  constructor(rows: tf.Tensor2D, options: PruningAgentOptions = {}) {
    const hidden = options.hidden ?? 32;
    const initialKeep = options.initialKeep ?? 0.9;
    const seed = options.seed ?? 0;
    this.channels = rows.shape[0];
    this.features = tf.tidy(() => {
      const norms = rows.square().sum(1, true).sqrt();
      const scale = norms.max().maximum(1e-12);
      return tf.concat([rows.div(scale), norms.div(scale)], 1) as tf.Tensor2D;
    });
    const fanIn = this.features.shape[1];
    const random = seededRandom(seed);
    const uniform = (n: number, limit: number): Float32Array => Float32Array.from({ length: n }, () => (2 * random() - 1) * limit);
    const logit = Math.log(initialKeep / (1 - initialKeep));
    // Inside tidy: the initial values are freed, the variables (never tracked by tidy) stay.
    const w1 = uniform(fanIn * hidden, Math.sqrt(6 / (fanIn + hidden)));
    const w2 = uniform(hidden, 0.1);
    [this.w1, this.b1, this.w2, this.bias] = tf.tidy(() => [
      tf.variable(tf.tensor2d(w1, [fanIn, hidden])),
      tf.variable(tf.zeros([hidden])),
      tf.variable(tf.tensor2d(w2, [hidden, 1])),
      tf.variable(tf.fill([this.channels], logit)),
    ]);
    this.optimizer = tf.train.adam(options.learningRate ?? 0.01);
  }

  /** Keep logits `[channels]` (call inside a tidy or a gradient function). */
  private logits(): tf.Tensor1D {
    return this.features.matMul(this.w1).add(this.b1).tanh().matMul(this.w2).reshape([this.channels]).add(this.bias) as tf.Tensor1D;
  }

  /** The probability of keeping each channel. */
  keepProbabilities(): Float32Array {
    const p = tf.tidy(() => this.logits().sigmoid());
    try {
      return p.dataSync() as Float32Array;
    } finally {
      p.dispose();
    }
  }

  /**
   * One REINFORCE update: raises the log-probability of actions with a positive advantage and
   * lowers it for negative ones. `actions[i][c]` is 1 to keep channel `c`; `advantages[i]` is the
   * reward of action `i` minus the baseline. Returns the surrogate loss.
   */
  update(actions: readonly Float32Array[], advantages: readonly number[]): number {
    const a = tf.tensor2d(actions.flatMap((x) => Array.from(x)), [actions.length, this.channels]);
    const adv = tf.tensor1d(Array.from(advantages));
    try {
      const cost = this.optimizer.minimize(
        () => {
          const l = this.logits().reshape([1, this.channels]);
          // log pi(a) = sum_c a_c * l_c - softplus(l_c)
          const logProb = a.mul(l).sub(tf.softplus(l)).sum(1);
          return logProb.mul(adv).mean().neg() as tf.Scalar;
        },
        true,
        [this.w1, this.b1, this.w2, this.bias],
      );
      const value = cost ? cost.dataSync()[0] : NaN;
      cost?.dispose();
      return value;
    } finally {
      tf.dispose([a, adv]);
    }
  }

  /** Frees the agent's variables and optimizer. */
  dispose(): void {
    tf.dispose([this.features, this.w1, this.b1, this.w2, this.bias]);
    this.optimizer.dispose();
  }
}
