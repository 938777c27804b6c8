import type * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import type { DataSource } from '../data/data-source';
import type { ResolvedCompile } from './compile-options';

/**
 * An amount of training: `steps` minibatches, or `epochs` passes over the training data.
 *
 * @example
 * ```ts
 * const amount: TrainingAmount = { steps: 100 };
 * ```
 */
export interface TrainingAmount {
  steps?: number;
  epochs?: number;
}

/**
 * Fine-tuning between pruning steps (and optionally before the first and after the last), with
 * the model's own loss (`model.trainOnBatch`), or by distillation from the original model when
 * `distill` is set (see {@link distill}).
 *
 * @example
 * ```ts
 * const fineTune: FineTuneOptions = { steps: 100, batchSize: 128, final: { epochs: 1 } };
 * ```
 */
export interface FineTuneOptions extends TrainingAmount {
  /** Minibatch size. Default: 32. */
  batchSize?: number;
  /** Training before the first pruning step (the procedure's step 1). Default: none. */
  initial?: TrainingAmount;
  /** Training of the returned model after the loop stops. Default: none. */
  final?: TrainingAmount;
  /**
   * Train the pruned model to match the original model's outputs instead of the labels, so
   * unlabeled training data is enough: softened probabilities (`temperature`) with cross-entropy
   * scaled by `temperature^2` for classifiers (a cross-entropy loss), mean squared error of the
   * outputs otherwise. Default: off (train on the labels).
   */
  distill?: { temperature?: number };
  /**
   * After each fine-tuning phase, re-estimate the moving statistics of every BatchNormalization
   * layer from this many training minibatches, forward only ("adaptive BN", Li et al. 2020):
   * TF.js's BN momentum of 0.99 otherwise keeps statistics of the network before pruning for
   * hundreds of steps, and inference accuracy suffers. After a step with no fine-tuning, only the
   * BN layers whose input the surgery changed (downstream of a pruned group's consumers) are
   * re-estimated. New statistics are kept only if they do not make the validation loss (without
   * labelled validation data: the distance from the original model's outputs) worse; otherwise
   * they are undone, and the step record says so (`batchNorm`). 0 turns it off; models without BN
   * are not affected. Default: 20.
   */
  recalibrateBatchNorm?: number;
}

/**
 * Fine-tuning between pruning steps by distillation from the original model (Hinton et al. 2015):
 * the pruned model learns to reproduce the original's outputs on the training inputs, so labels
 * are not needed. Sugar for `{ ...amount, distill: { temperature } }`.
 *
 * @example
 * ```ts
 * import { distill, pruneIteratively, targetFlops } from 'tfjs-prune';
 *
 * // Training inputs without labels: the original model's outputs are the targets.
 * await pruneIteratively(model, { train: { x: xTrain }, validation: { x: xVal, y: yVal } }, {
 *   compile: { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
 *   fineTune: distill({ temperature: 4, steps: 100 }),
 *   stop: targetFlops(0.5),
 * });
 * ```
 */
export function distill(options: { temperature?: number } & Omit<FineTuneOptions, 'distill'> = {}): FineTuneOptions {
  const { temperature, ...rest } = options;
  return { ...rest, distill: { temperature: temperature ?? 1 } };
}

/**
 * What a custom fine-tune function receives.
 *
 * @example
 * ```ts
 * const fineTune: FineTuneFunction = async (model, ctx) => {
 *   await model.fit(xTrain, yTrain, { epochs: ctx.phase === 'final' ? 2 : 1, batchSize: 64, verbose: 0 });
 * };
 * ```
 */
export interface FineTuneContext {
  /** `'initial'` before pruning, `'step'` after each pruning step, `'final'` after the loop. */
  phase: 'initial' | 'step' | 'final';
  /** The pruning step just made (0 for `'initial'`). */
  step: number;
  /** The training data given to the loop. */
  train: DataSource;
  /** The original model (read it; never modify it), e.g. as a teacher. */
  original: tf.LayersModel;
  /** The run's seed. */
  seed: number;
  /** The run's abort signal, if any. */
  signal?: AbortSignal;
}

/**
 * A custom fine-tuning loop: it trains the given model in place (it arrives compiled with the
 * run's `compile` options). Called after every pruning step, and for `'initial'`/`'final'` too.
 * The loop checks the model afterwards; a NaN loss on validation counts as diverged.
 *
 * @example
 * ```ts
 * const fineTune: FineTuneFunction = async (model, { train }) => {
 *   const { x, y } = train as TensorData;
 *   await model.fit(x, y!, { epochs: 1, batchSize: 64, verbose: 0 });
 * };
 * ```
 */
export type FineTuneFunction = (model: tf.LayersModel, context: FineTuneContext) => Promise<void>;

/** Checked fine-tune settings. */
export type ResolvedFineTune =
  | {
      kind: 'builtin';
      between: Required<TrainingAmount> | null;
      initial: Required<TrainingAmount> | null;
      final: Required<TrainingAmount> | null;
      batchSize: number;
      distill: { temperature: number } | null;
      recalibrateBatchNorm: number;
    }
  | { kind: 'function'; fn: FineTuneFunction };

function amount(a: TrainingAmount | undefined, where: string): Required<TrainingAmount> | null {
  if (a === undefined) return null;
  if (typeof a !== 'object' || a === null) throw new PruneError('INVALID_OPTION', `${where} must be { steps } or { epochs }; got ${String(a)}.`);
  const { steps, epochs } = a;
  if (steps !== undefined && epochs !== undefined) throw new PruneError('INVALID_OPTION', `${where}: give steps or epochs, not both.`);
  for (const [k, v] of [['steps', steps], ['epochs', epochs]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 0)) throw new PruneError('INVALID_OPTION', `${where}.${k} must be an integer >= 0; got ${String(v)}.`);
  }
  if (steps === undefined && epochs === undefined) return null;
  return { steps: steps ?? 0, epochs: epochs ?? 0 };
}

/** Checks fine-tune options (default: 100 minibatches of 32 between steps, nothing before or after). */
export function resolveFineTune(fineTune: FineTuneOptions | FineTuneFunction | undefined, compile: ResolvedCompile, where: string): ResolvedFineTune {
  if (typeof fineTune === 'function') return { kind: 'function', fn: fineTune };
  const f = fineTune ?? {};
  if (typeof f !== 'object' || f === null) throw new PruneError('INVALID_OPTION', `${where}: fineTune must be options ({ steps, batchSize, ... }), distill(...) or a function; got ${String(f)}.`);
  const known = ['steps', 'epochs', 'batchSize', 'initial', 'final', 'distill', 'recalibrateBatchNorm'];
  const unknown = Object.keys(f).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new PruneError('INVALID_OPTION', `${where}: unknown fineTune option(s) ${unknown.join(', ')}; known: ${known.join(', ')}.`);
  const batchSize = f.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new PruneError('INVALID_OPTION', `${where}: fineTune.batchSize must be a positive integer; got ${String(f.batchSize)}.`);
  let distillOptions: { temperature: number } | null = null;
  if (f.distill !== undefined) {
    const t = f.distill?.temperature ?? 1;
    if (typeof t !== 'number' || !(t > 0) || !Number.isFinite(t)) throw new PruneError('INVALID_OPTION', `${where}: distill temperature must be a positive number; got ${String(t)}.`);
    distillOptions = { temperature: t };
  }
  void compile;
  const recalibrate = f.recalibrateBatchNorm ?? 20;
  if (!Number.isInteger(recalibrate) || recalibrate < 0) {
    throw new PruneError('INVALID_OPTION', `${where}: fineTune.recalibrateBatchNorm must be an integer >= 0 (minibatches; 0 turns it off); got ${String(f.recalibrateBatchNorm)}.`);
  }
  return {
    kind: 'builtin',
    between: amount({ steps: f.steps, epochs: f.epochs }, `${where}: fineTune`) ?? (f.steps === undefined && f.epochs === undefined ? { steps: 100, epochs: 0 } : null),
    initial: amount(f.initial, `${where}: fineTune.initial`),
    final: amount(f.final, `${where}: fineTune.final`),
    batchSize,
    distill: distillOptions,
    recalibrateBatchNorm: recalibrate,
  };
}
