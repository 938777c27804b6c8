import type * as tf from '@tensorflow/tfjs';
import type { PruningGroup } from '../graph/pruning-group';
import type { Removals } from '../surgery/validate-removals';
import type { ConsumerHessian } from './consumer-hessians';

/**
 * What a criterion needs from the scoring run. The runner computes each need once per call, for
 * all criteria together (one forward/backward pass over the scoring batches):
 * - `'activations'`: per-channel statistics of what the consumers see (mean, mean |z|, std,
 *   fraction of zeros), {@link ChannelStats}; forward passes only.
 * - `'gradients'`: the Taylor terms of Molchanov et al. 2017, from per-example, per-channel gates
 *   at the consumers' inputs; one forward and one backward pass per batch.
 * - `'weightGradients'`: sum over each channel's producer weights of weight x gradient (for
 *   Molchanov et al. 2019); shares the backward pass of `'gradients'`.
 * - `'evaluations'`: the loss on the scoring data with chosen channels switched off by gates,
 *   as often as the criterion asks ({@link CriterionInput.evaluate}).
 * - `'hessians'`: for every layer that reads a group through weights, the Gram matrix of its
 *   input's design rows and its weights ({@link ConsumerHessian}); forward passes only, no labels.
 *
 * Weights are always available (read lazily); they are not a need.
 *
 * @example
 * ```ts
 * const needs: CriterionNeed[] = ['activations', 'gradients'];
 * ```
 */
export type CriterionNeed = 'activations' | 'gradients' | 'weightGradients' | 'evaluations' | 'hessians';

/**
 * How the scores of a group are normalised before they are compared across groups (one global
 * ranking). `'l2'`: divided by the L2 norm of the group's scores (Molchanov et al. 2017);
 * `'max'`: divided by the group's largest absolute score; `'none'`: left as they are.
 *
 * @example
 * ```ts
 * const taylorMax = criteria.taylor({ normalize: 'max' });
 * ```
 */
export type Normalization = 'l2' | 'max' | 'none';

/**
 * How the per-producer scores of a group with several producers (the branches of a residual
 * `Add`) become one score per channel.
 *
 * @example
 * ```ts
 * const l1 = criteria.l1Norm({ reduce: 'max' }); // a channel is as important as its strongest producer
 * ```
 */
export type Reduction = 'mean' | 'sum' | 'max' | 'min';

/**
 * The weights that create a group's channels in one producer layer, one row per channel the
 * layer makes.
 *
 * @example
 * ```ts
 * // L1 norm of each channel's weights in the group's first producer.
 * const firstProducerL1: Criterion = {
 *   name: 'firstProducerL1',
 *   needs: [],
 *   score: (input) =>
 *     Object.fromEntries(
 *       input.groups.map((g) => {
 *         const p: ProducerWeights = input.producerWeights(g.id)[0];
 *         const scores = new Float32Array(g.size);
 *         // Row r holds the weights of group channel p.channels[r].
 *         p.channels.forEach((c, r) => {
 *           for (let j = 0; j < p.fanIn; j++) scores[c] += Math.abs(p.kernel[r * p.fanIn + j]);
 *         });
 *         return [g.id, scores];
 *       }),
 *     ),
 * };
 * ```
 */
export interface ProducerWeights {
  /** Layer name. */
  readonly layer: string;
  /** Keras class name (`'Conv2D'`, `'Dense'`...). */
  readonly className: string;
  /**
   * The group channel of each row. Usually `0 .. size-1`; shorter when the layer makes only part
   * of the group (one input of a `Concatenate` that an `Add` ties to another producer).
   */
  readonly channels: Int32Array;
  /** Weights per channel (the row length). */
  readonly fanIn: number;
  /**
   * Row-major `[channels.length, fanIn]`: row `r` holds every kernel weight that creates group
   * channel `channels[r]` (a conv filter, a Dense unit's incoming weights), flattened. Shared
   * between criteria: do not write to it.
   */
  readonly kernel: Float32Array;
  /** Bias per row, or `null` when the layer has no bias. Do not write to it. */
  readonly bias: Float32Array | null;
}

/**
 * Values of some group channels, e.g. one producer's scores or one BatchNormalization's scales:
 * `values[i]` belongs to group channel `channels[i]` (a channel may appear several times, e.g.
 * after a DepthwiseConv2D with depth multiplier > 1).
 *
 * @example
 * ```ts
 * const partial: ChannelValues = { channels: Int32Array.from([0, 2]), values: Float32Array.from([0.5, 0.1]) };
 * ```
 */
export interface ChannelValues {
  readonly channels: Int32Array;
  readonly values: Float32Array;
}

/**
 * Per-channel statistics of one group over the scoring data, measured at every point where a
 * consumer reads the group's channels (after BatchNormalization, the activation, pooling...).
 * Each array has one entry per channel of the group; fields are present when the matching need
 * was declared by some criterion of the run.
 *
 * @example
 * ```ts
 * // 1 - APoZ: channels that are rarely zero score high.
 * const nonZero: Criterion = {
 *   name: 'nonZero',
 *   needs: ['activations'],
 *   score: (input) =>
 *     Object.fromEntries(
 *       input.groups.map((g) => {
 *         const stats: ChannelStats = input.stats![g.id];
 *         return [g.id, stats.zeroFraction!.map((z) => 1 - z)];
 *       }),
 *     ),
 * };
 * ```
 */
export interface ChannelStats {
  /** Examples seen. */
  readonly examples: number;
  /** Values per example a consumer sees of each channel (spatial positions, summed over read points). */
  readonly positions: Float32Array;
  /** `'activations'`: mean of the values. */
  readonly meanActivation?: Float32Array;
  /** `'activations'`: mean of the absolute values. */
  readonly meanAbsActivation?: Float32Array;
  /** `'activations'`: standard deviation of the values (over examples and positions). */
  readonly activationStd?: Float32Array;
  /** `'activations'`: fraction of values that are exactly zero (APoZ, Hu et al. 2016). */
  readonly zeroFraction?: Float32Array;
  /**
   * `'gradients'`: Molchanov et al. 2017, `mean over examples n of |sum over positions m of
   * z(n,m,k) * dC/dz(n,m,k)| / M`, with `M` = `positions[k]` and `C` the example's loss.
   */
  readonly taylor?: Float32Array;
  /**
   * `'weightGradients'`: per producer (in {@link CriterionInput.producerWeights} order, same
   * channels), `(sum over the channel's producer weights w, bias included, of w * dL/dw)^2`, `L`
   * the mean loss of a batch, averaged over batches (Molchanov et al. 2019).
   */
  readonly weightTaylor?: readonly ChannelValues[];
}

/**
 * What a criterion's `score` receives. One object is shared by every criterion of a run, so a
 * criterion that combines others can pass it on to them.
 *
 * @example
 * ```ts
 * const meanBias: Criterion = {
 *   name: 'meanBias',
 *   needs: [],
 *   score: (input) => Object.fromEntries(input.groups.map((g) => [g.id, input.producerWeights(g.id)[0].bias!])),
 * };
 * ```
 */
export interface CriterionInput {
  /** The model being scored. Read it; never modify it. */
  readonly model: tf.LayersModel;
  /** The groups to score (prunable groups of `analyze(model)`, or the subset asked for). */
  readonly groups: readonly PruningGroup[];
  /** The producers of a group, one row of weights per channel. Cached; do not write to them. */
  producerWeights(groupId: string): readonly ProducerWeights[];
  /**
   * The scales (gamma) of the group's BatchNormalization layers, one entry per BN layer (BN layers
   * with `scale: false` are left out; a group without any gives an empty list).
   */
  batchNormScales(groupId: string): ReadonlyArray<ChannelValues & { readonly layer: string }>;
  /** Statistics per group id; `null` unless a data need was declared. */
  readonly stats: Readonly<Record<string, ChannelStats>> | null;
  /**
   * `'hessians'`: per group id, one entry per layer that reads the group's channels through
   * weights (Dense, Conv1D/2D/3D, Conv2DTranspose, SeparableConv2D; not shared layers); `null` without the need.
   */
  readonly hessians: Readonly<Record<string, readonly ConsumerHessian[]>> | null;
  /** Mean loss per example on the scoring data with nothing removed; `null` without `'evaluations'`. */
  readonly baseLoss: number | null;
  /**
   * `'evaluations'`: mean loss per example (or top-1 accuracy, for single-output classifiers) on
   * the scoring data with the given channels switched off (their consumers read zeros, exactly what
   * `prune(model, removals)` computes), in inference mode. One forward pass per scoring batch; when
   * all the channels belong to one group, only the layers downstream of that group run (the rest
   * is computed once). Throws when `'evaluations'` was not declared.
   */
  evaluate(removals: Removals, metric?: 'loss' | 'accuracy'): Promise<number>;
}

/**
 * Raw scores of a criterion: one `Float32Array` per group id, one value per channel, higher
 * meaning keep.
 *
 * @example
 * ```ts
 * const scores: GroupScores = { conv1: Float32Array.from([0.3, 0.1, 0.9]) };
 * ```
 */
export type GroupScores = Record<string, Float32Array>;

/**
 * A ranking function: scores every channel of every group, higher meaning keep. A plain object;
 * write your own by giving a `name`, the `needs` and a `score` function (see docs/criteria.md).
 * The runner ({@link scoreGroups}) checks the scores (one finite number per channel), then
 * normalises them per group and applies the FLOPs penalty as the optional fields say.
 *
 * @example
 * ```ts
 * import { criteria, normalizeScores, type Criterion } from 'tfjs-prune';
 *
 * const taylor = criteria.taylor();
 * const l2 = criteria.l2Norm();
 * // Half data, half weights: the mean of the two L2-normalised scores. A criterion's own `score`
 * // returns raw scores: its `normalize` and `flopsPenalty` apply only when the runner calls it.
 * const blend: Criterion = {
 *   name: 'taylorPlusL2',
 *   needs: taylor.needs,
 *   async score(input) {
 *     const a = normalizeScores(await taylor.score(input), 'l2');
 *     const b = normalizeScores(await l2.score(input), 'l2');
 *     return Object.fromEntries(Object.keys(a).map((id) => [id, a[id].map((v, i) => (v + b[id][i]) / 2)]));
 *   },
 * };
 * ```
 */
export interface Criterion {
  /** Name shown in reports and in `evaluateCriteria` rows. */
  readonly name: string;
  /** What the scoring run must compute for it. Default of the built-ins: see each factory. */
  readonly needs: readonly CriterionNeed[];
  /** Per-group normalisation applied by the runner after `score`. Default: `'l2'`. */
  readonly normalize?: Normalization;
  /**
   * FLOPs penalty lambda: the runner subtracts `lambda * (share of the model's MACs that removing
   * one channel of the group saves)` from every score of the group, after normalisation
   * (Molchanov et al. 2017's FLOPs regularisation). Default: 0.
   */
  readonly flopsPenalty?: number;
  /** Raw scores of every group of `input.groups`, one per channel, higher = keep. */
  score(input: CriterionInput): GroupScores | Promise<GroupScores>;
}

/**
 * Options every built-in criterion factory accepts.
 *
 * @example
 * ```ts
 * const options: CriterionOptions = { reduce: 'max', normalize: 'none', flopsPenalty: 0.1 };
 * const l1 = criteria.l1Norm(options);
 * ```
 */
export interface CriterionOptions {
  /** How the scores of a group's several producers are combined. Default: `'mean'`. */
  reduce?: Reduction;
  /** Per-group normalisation before a global ranking. Default: `'l2'` (`'none'` for random and oracle). */
  normalize?: Normalization;
  /** FLOPs penalty lambda (see {@link Criterion.flopsPenalty}). Default: 0. */
  flopsPenalty?: number;
}
