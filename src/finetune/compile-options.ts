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

/** Models whose optimizer was made by {@link compileModel} (so it is theirs to free). */
const ownsOptimizer = new WeakSet<tf.LayersModel>();

/**
 * Compiles a model with a new optimizer, which the model then owns: `model.dispose()` frees it
 * (TF.js frees only optimizers given by name), and compiling again frees the previous one.
 */
export function compileModel(model: tf.LayersModel, compile: ResolvedCompile): void {
  if (ownsOptimizer.has(model)) model.optimizer?.dispose();
  const optimizer = compile.makeOptimizer();
  if (typeof optimizer !== 'string' && !(optimizer instanceof tf.Optimizer) && typeof (optimizer as { minimize?: unknown }).minimize !== 'function') {
    throw new PruneError('INVALID_OPTION', 'compile.optimizer: the factory must return a tf.Optimizer (e.g. tf.train.adam(1e-4)).');
  }
  const loss = Array.isArray(compile.loss) ? compile.loss.map(tfjsLoss) : tfjsLoss(compile.loss);
  model.compile({ optimizer, loss: loss as string });
  // LayersModel.dispose() frees the optimizer when it owns it; a factory's optimizer is the run's.
  (model as unknown as { isOptimizerOwned: boolean }).isOptimizerOwned = true;
  ownsOptimizer.add(model);
}
