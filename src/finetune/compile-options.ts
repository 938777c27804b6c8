import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import type { LossSpec } from '../data/per-example-loss';
import { resolveMetrics, type Metric } from '../metrics/metric';

/**
 * How every model the loop makes is compiled (surgery returns uncompiled models, so each pruned
 * model is compiled afresh, with a new optimizer).
 *
 * @example
 * ```ts
 * const compile: CompileOptions = {
 *   optimizer: () => tf.train.adam(1e-4),
 *   loss: 'categoricalCrossentropy',
 *   metrics: ['accuracy'],
 * };
 * ```
 */
export interface CompileOptions {
  /**
   * A factory returning a new optimizer (called once per compile), or the name of a TF.js optimizer
   * with its default settings (`'adam'`, `'sgd'`, `'rmsprop'`, `'adagrad'`, `'adadelta'`, `'adamax'`).
   */
  optimizer: string | (() => tf.Optimizer);
  /** The training loss, one per output for several outputs (see {@link LossSpec}). */
  loss: LossSpec | LossSpec[];
  /** Validation metrics besides the loss: `'accuracy'` or {@link Metric} objects. Default: none. */
  metrics?: ReadonlyArray<'accuracy' | Metric>;
}

/** Checked compile options. */
export interface ResolvedCompile {
  makeOptimizer: () => tf.Optimizer | string;
  loss: LossSpec | LossSpec[];
  metrics: Metric[];
}

const OPTIMIZERS = ['adam', 'sgd', 'rmsprop', 'adagrad', 'adadelta', 'adamax'];

/** The TF.js name of one of our loss names, so `model.compile` understands it. */
function tfjsLoss(spec: LossSpec): LossSpec {
  if (typeof spec !== 'string') return spec;
  const key = spec.replace(/_/g, '').toLowerCase();
  const names: Record<string, string> = {
    categoricalcrossentropy: 'categoricalCrossentropy',
    sparsecategoricalcrossentropy: 'sparseCategoricalCrossentropy',
    binarycrossentropy: 'binaryCrossentropy',
    meansquarederror: 'meanSquaredError',
    mse: 'meanSquaredError',
    meanabsoluteerror: 'meanAbsoluteError',
    mae: 'meanAbsoluteError',
  };
  return names[key] ?? spec;
}

/** Checks compile options up front. */
export function resolveCompile(compile: unknown, where: string): ResolvedCompile {
  if (compile !== undefined && compile !== null && typeof compile === 'object') {
    const unknown = Object.keys(compile).filter((k) => !['optimizer', 'loss', 'metrics'].includes(k));
    if (unknown.length > 0) throw new PruneError('INVALID_OPTION', `${where}: unknown compile option(s) ${unknown.join(', ')}; known: optimizer, loss, metrics.`);
  }
  if (compile === undefined || compile === null || typeof compile !== 'object') {
    throw new PruneError(
      'INVALID_OPTION',
      `${where}: \`compile\` is required (surgery makes new models that must be compiled afresh), e.g. compile: { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] }.`,
    );
  }
  const c = compile as Partial<CompileOptions>;
  const { optimizer } = c;
  if (typeof optimizer === 'string') {
    if (!OPTIMIZERS.includes(optimizer)) {
      throw new PruneError('INVALID_OPTION', `${where}: compile.optimizer '${optimizer}' is not known; use one of ${OPTIMIZERS.join(', ')}, or a factory () => tf.train.adam(1e-4).`);
    }
  } else if (typeof optimizer !== 'function') {
    throw new PruneError(
      'INVALID_OPTION',
      `${where}: compile.optimizer must be a factory such as () => tf.train.adam(1e-4) (a new optimizer per pruned model) or a name such as 'adam'; got ${optimizer === undefined ? 'nothing' : typeof optimizer}.`,
    );
  }
  if (c.loss === undefined || c.loss === null) throw new PruneError('INVALID_OPTION', `${where}: compile.loss is required, e.g. 'categoricalCrossentropy'.`);
  return {
    makeOptimizer: typeof optimizer === 'string' ? () => optimizer : () => (optimizer as () => tf.Optimizer)(),
    loss: c.loss,
    metrics: resolveMetrics(c.metrics as ReadonlyArray<string | Metric> | undefined, `${where}: compile`),
  };
}

/** A new optimizer instance from the compile options (a name gets TF.js's Keras defaults). */
export function newOptimizer(compile: ResolvedCompile): tf.Optimizer {
  const made = compile.makeOptimizer();
  if (typeof made !== 'string') return made;
  switch (made) {
    case 'sgd':
      return tf.train.sgd(0.01);
    case 'rmsprop':
      return tf.train.rmsprop(0.001);
    case 'adagrad':
      return tf.train.adagrad(0.01);
    case 'adadelta':
      return tf.train.adadelta(1, 0.95, 1e-7);
    case 'adamax':
      return tf.train.adamax(0.002, 0.9, 0.999, 1e-7);
    default:
      return tf.train.adam(0.001, 0.9, 0.999, 1e-7);
  }
}

/** The optimizer {@link compileModel} made for each model (its to free, whatever the model holds now). */
const madeFor = new WeakMap<tf.LayersModel, tf.Optimizer>();

type OwnedFlag = { isOptimizerOwned: boolean };

/**
 * Frees the optimizer `compileModel` made for `model`, and an optimizer the model owns that someone
 * else attached by compiling with an optimizer name (TF.js never frees an owned optimizer it
 * replaces). Never frees an optimizer instance a user passed to `model.compile` (not owned).
 */
function releaseOptimizers(model: tf.LayersModel): void {
  const mine = madeFor.get(model);
  const attached = model.optimizer as tf.Optimizer | undefined;
  if (attached !== undefined && attached !== mine && (model as unknown as OwnedFlag).isOptimizerOwned) attached.dispose();
  mine?.dispose();
  madeFor.delete(model);
  (model as unknown as OwnedFlag).isOptimizerOwned = false;
}

/**
 * Compiles a model with a new optimizer, which the model then owns: `model.dispose()` frees it
 * (TF.js frees only optimizers given by name), and compiling again (or {@link disposeModel}) frees
 * it even if something else was attached in between.
 */
export function compileModel(model: tf.LayersModel, compile: ResolvedCompile): void {
  releaseOptimizers(model);
  const optimizer = compile.makeOptimizer();
  if (typeof optimizer !== 'string' && !(optimizer instanceof tf.Optimizer) && typeof (optimizer as { minimize?: unknown }).minimize !== 'function') {
    throw new PruneError('INVALID_OPTION', 'compile.optimizer: the factory must return a tf.Optimizer (e.g. tf.train.adam(1e-4)).');
  }
  const loss = Array.isArray(compile.loss) ? compile.loss.map(tfjsLoss) : tfjsLoss(compile.loss);
  model.compile({ optimizer, loss: loss as string });
  // LayersModel.dispose() frees the optimizer when it owns it; a factory's optimizer is the run's.
  (model as unknown as OwnedFlag).isOptimizerOwned = true;
  madeFor.set(model, model.optimizer);
}

/** Disposes a model the loop made, with the optimizers {@link compileModel} made for it. */
export function disposeModel(model: tf.LayersModel): void {
  releaseOptimizers(model);
  model.dispose();
}
