import type * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import type { Criterion } from '../criteria/criterion';
import { criteria } from '../criteria/criteria';
import { assertCriterion } from '../criteria/score-groups';
import { needsLabels } from '../criteria/scoring-run';
import { checkDataSource, isDataset, type DataSource, type TensorData } from '../data/data-source';
import { perExampleLoss } from '../data/per-example-loss';
import type { CheckpointStore } from '../checkpoint/checkpoint-store';
import { resolveCompile, type CompileOptions, type ResolvedCompile } from '../finetune/compile-options';
import { resolveFineTune, type FineTuneFunction, type FineTuneOptions, type ResolvedFineTune } from '../finetune/fine-tune-options';
import type { MetricDirection } from '../report/measurement';
import type { StepRecord } from '../report/step-record';
import { resolveSchedule, type ResolvedSchedule, type ScheduleOptions } from '../schedule/schedule-options';
import type { StopPolicy } from '../stopping/stop-policy';
import { resolveInputShape, type InputShape } from '../metrics/input-shape';
import { checkObjective, type Objective } from '../pruner';
import { resolveDeploy, type DeployOptions, type ResolvedDeploy } from './deploy-phase';
import type { CompensateOptions, ResolvedCompensation } from '../compensation/compensate-options';
import { resolveStepCompensation } from '../compensation/resolve-step-compensation';

/**
 * The data of a pruning run: `train` for fine-tuning, `validation` for the metrics and bounds
 * (without labels `y`: agreement with the original model's outputs, see `pruneIteratively`),
 * `scoring` for data-based criteria (default: the first 256 validation examples, or the first 8
 * batches of a validation dataset; the training data when there is no validation data). Each is
 * `{ x, y }` tensors or a batched `tf.data.Dataset` of `{ xs, ys }`.
 *
 * @example
 * ```ts
 * const data: PruneData = { train: { x: xTrain, y: yTrain }, validation: { x: xVal, y: yVal } };
 * ```
 */
export interface PruneData {
  train: DataSource;
  validation?: DataSource;
  scoring?: DataSource;
}

/**
 * Options of {@link pruneIteratively}. `compile` and `stop` are required; everything else has a
 * default.
 *
 * @example
 * ```ts
 * const options: PruneIterativelyOptions = {
 *   compile: { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
 *   stop: anyOf(targetFlops(0.5), maxMetricDrop('accuracy', 0.01)),
 * };
 * ```
 */
export interface PruneIterativelyOptions {
  /**
   * How channels are ranked. Default: `criteria.taylor()`; `criteria.obs()` when the run has no
   * labels (distillation, and neither `data.scoring` nor `data.validation` has labels).
   * A criterion whose scores cannot rank (all equal, or gradients of a zero loss) is replaced by
   * `obs` for that step, with a warning in the report.
   */
  criterion?: Criterion;
  /** How every new model is compiled (optimizer factory or name, loss, metrics). Required. */
  compile: CompileOptions;
  /** How many channels each step removes and from where. Default: 5% of the remaining channels, one ranking by score per unit of cost saved. */
  schedule?: ScheduleOptions;
  /** Fine-tuning between steps (and before/after), a custom function, or `distill(...)`. Default: 100 minibatches of 32. */
  fineTune?: FineTuneOptions | FineTuneFunction;
  /** What the run trades accuracy for: `'flops'`, `'params'`, `'latency'` or `'size'` (stored bytes). Default: `'flops'`. */
  objective?: Objective;
  /** When to stop: a policy or a composition (`anyOf`, `allOf`). Required. */
  stop: StopPolicy;
  /** Called after every step with its record (awaited). */
  onStep?: (record: StepRecord) => void | Promise<void>;
  /** Print one line per step (and the outcome) with `console.log`. Default: false. */
  verbose?: boolean;
  /** Aborts between minibatches and steps; the best model so far is returned (`stoppedBy: 'aborted'`). */
  signal?: AbortSignal;
  /** Seed of the training order (and of nothing else: criteria take their own). Default: 0. */
  seed?: number;
  /** Saves the model and loop state after every step. Default: none. */
  checkpoint?: CheckpointStore;
  /** Continue from `checkpoint`'s last completed step (a fresh start when it is empty). Default: false. */
  resume?: boolean;
  /**
   * The shape of one example (no batch axis) at which FLOPs and latency are measured, for models
   * whose input size is not fixed (`[null, null, null, 3]`). Default: the model's own input shape;
   * when it is not fixed, the shape of the first example of the validation, scoring or training
   * data (in that order).
   */
  inputShape?: InputShape;
  /**
   * Examples per forward/backward pass of data-based criteria (scoring tensors are cut into
   * batches of this size; a dataset keeps its own batches). Lower it when scoring runs out of
   * memory (`OUT_OF_MEMORY`). Default: 32, or fewer when one example's activations are large
   * (as many as fit in 1 GiB, three times the activations for gradient criteria).
   */
  scoringBatchSize?: number;
  /**
   * After the run, fold BatchNormalization and measure the model stored at `dtype`; the returned
   * model is the folded one (save it with `saveQuantized(model, dest, { dtype })`), the report's
   * `deploy` says what it takes and scores. Default: none (off).
   */
  deploy?: DeployOptions;
  /**
   * Repair every step's model before it is fine-tuned, without labels or gradients: the layers
   * that read removed channels are refit by least squares so that they reproduce the model before
   * the step on calibration samples, and the BatchNorm statistics downstream are corrected (see
   * {@link CompensateOptions}). With `fineTune: { steps: 0 }` this is post-training pruning.
   * `true` calibrates on `data.scoring` when given, else on the first 1,024 training examples
   * (their labels are ignored); an object may give its own `data`, `damping`, `refit`,
   * `batchNorm`, `batchSize` or `seed`. A layer short of samples is not refit and is listed in the
   * step record's `compensation.skipped`. Default: off.
   */
  compensate?: boolean | Partial<CompensateOptions>;
}

/** Everything a run needs, checked. */
export interface LoopConfig {
  criterion: Criterion;
  compile: ResolvedCompile;
  schedule: ResolvedSchedule;
  fineTune: ResolvedFineTune;
  objective: Objective;
  stop: StopPolicy;
  seed: number;
  verbose: boolean;
  onStep?: (record: StepRecord) => void | Promise<void>;
  signal?: AbortSignal;
  checkpoint?: CheckpointStore;
  resume: boolean;
  train: DataSource;
  validation?: DataSource;
  scoring?: DataSource;
  /** Tensors made for the default scoring data, disposed at the end. */
  owned: tf.Tensor[];
  lossOf: (yTrue: tf.Tensor[], yPred: tf.Tensor[]) => tf.Tensor1D;
  metricDirections: Record<string, MetricDirection>;
  measuresLatency: boolean;
  /** Example shapes (one per input) to measure at; unset: the model's own (fixed) input shapes. */
  inputShape?: number[][];
  /**
   * Set when `validation` has no labels: the metric measured instead of the loss, against the
   * original model's outputs (`agreement` for classifiers, `outputMse` otherwise).
   */
  unlabeledMetric?: 'agreement' | 'outputMse';
  /** Scoring batch size; unset: the default from the model's activation size. */
  scoringBatchSize?: number;
  /** Ranks by this when `criterion`'s scores are degenerate. */
  fallback?: { criterion: Criterion; data: () => DataSource };
  /** What the run does differently from what was asked (for the report). */
  warnings: string[];
  /** The deploy step, or null. */
  deploy: ResolvedDeploy | null;
  /** Whether every measurement has stored bytes (objective 'size', a size target, or a deploy step). */
  measuresSize: boolean;
  /** Compensation after every step's surgery, or null. */
  compensation: ResolvedCompensation | null;
}

const LOOP = 'pruneIteratively';
const DEFAULT_SCORING_EXAMPLES = 256;
const DEFAULT_CALIBRATION_EXAMPLES = 1024;

/** The first `n` examples of tensor data (new tensors), or the first batches of a dataset. */
export function headOf(data: DataSource, n: number, owned: tf.Tensor[], batches = 8): DataSource {
  if (isDataset(data)) return data.take(batches);
  const { x, y } = data as TensorData;
  const xs = Array.isArray(x) ? x : [x];
  if (xs[0].shape[0] <= n) return data;
  const cut = (t: tf.Tensor): tf.Tensor => {
    const s = t.slice(0, n);
    owned.push(s);
    return s;
  };
  const ys = y === undefined ? undefined : Array.isArray(y) ? y : [y];
  return { x: Array.isArray(x) ? xs.map(cut) : cut(x), ...(ys ? { y: Array.isArray(y) ? ys.map(cut) : cut(y as tf.Tensor) } : {}) };
}

/**
 * Checks every option and the data before any work. `WHERE` heads the error messages: the entry
 * point the user called (`pruneIteratively`, `learnToPrune`).
 */
export function resolveLoopConfig(model: tf.LayersModel, data: unknown, options: unknown, WHERE = LOOP): LoopConfig {
  if (options === null || typeof options !== 'object') {
    throw new PruneError('INVALID_OPTION', `${WHERE}: options are required: at least { compile, stop }, e.g. { compile: { optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] }, stop: targetFlops(0.5) }.`);
  }
  const o = options as Partial<PruneIterativelyOptions>;
  const known = ['criterion', 'compile', 'schedule', 'fineTune', 'objective', 'stop', 'onStep', 'verbose', 'signal', 'seed', 'checkpoint', 'resume', 'inputShape', 'scoringBatchSize', 'deploy', 'compensate'];
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new PruneError('INVALID_OPTION', `${WHERE}: unknown option(s) ${unknown.join(', ')}; known options: ${known.join(', ')}.`);
  const compile = resolveCompile(o.compile, WHERE);
  const stop = o.stop;
  if (stop === undefined || stop === null || typeof stop !== 'object' || typeof stop.check !== 'function') {
    throw new PruneError(
      'INVALID_OPTION',
      `${WHERE}: \`stop\` is required: a stopping policy such as targetFlops(0.5), or anyOf(targetFlops(0.5), maxMetricDrop('accuracy', 0.01)).`,
    );
  }
  const schedule = resolveSchedule(o.schedule);
  const fineTune = resolveFineTune(o.fineTune, compile, WHERE);
  const warnings: string[] = [];
  const given = (data ?? {}) as Partial<PruneData>;
  const labelled = (source: DataSource | undefined): boolean => source !== undefined && (isDataset(source) || (source as TensorData).y !== undefined);
  const labelFree = fineTune.kind === 'builtin' && fineTune.distill !== null && !labelled(given.scoring) && !labelled(given.validation);
  if (o.criterion === undefined && labelFree) {
    warnings.push("no criterion was given and the run has no labels (distillation, no labelled scoring or validation data): channels are ranked by 'obs' (structured OBS, no labels needed), since 'taylor' needs a loss on labels");
  }
  const criterion = o.criterion ?? (labelFree ? criteria.obs() : criteria.taylor());
  assertCriterion(criterion, `${WHERE}: criterion`);
  const objective = checkObjective(o.objective, WHERE);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) throw new PruneError('INVALID_OPTION', `${WHERE}: seed must be an integer; got ${String(o.seed)}.`);
  if (o.onStep !== undefined && typeof o.onStep !== 'function') throw new PruneError('INVALID_OPTION', `${WHERE}: onStep must be a function (record) => void.`);
  if (o.signal !== undefined && (typeof o.signal !== 'object' || o.signal === null || typeof o.signal.aborted !== 'boolean')) {
    throw new PruneError('INVALID_OPTION', `${WHERE}: signal must be an AbortSignal (new AbortController().signal).`);
  }
  if (o.resume && o.checkpoint === undefined) {
    throw new PruneError('INVALID_OPTION', `${WHERE}: resume: true needs the \`checkpoint\` store the earlier run wrote to.`);
  }
  if (o.checkpoint !== undefined && (typeof o.checkpoint !== 'object' || typeof o.checkpoint.save !== 'function' || typeof o.checkpoint.load !== 'function')) {
    throw new PruneError('INVALID_OPTION', `${WHERE}: checkpoint must be a CheckpointStore ({ save, load, clear }), e.g. memoryCheckpointStore() or fileCheckpointStore(dir) from 'tfjs-prune/node'.`);
  }

  const inputShape = o.inputShape === undefined ? undefined : resolveInputShape(model, o.inputShape, WHERE);
  if (o.scoringBatchSize !== undefined && (!Number.isSafeInteger(o.scoringBatchSize) || o.scoringBatchSize < 1)) {
    throw new PruneError('INVALID_OPTION', `${WHERE}: scoringBatchSize must be a positive integer (examples per scoring pass); got ${String(o.scoringBatchSize)}.`);
  }

  // Data.
  if (data === null || typeof data !== 'object' || !('train' in data)) {
    throw new PruneError('MISSING_DATA', `${WHERE}: data must be { train, validation?, scoring? }, each { x, y } tensors or a tf.data.Dataset; got ${data === null ? 'null' : typeof data}.`);
  }
  const d = data as PruneData;
  const distilling = fineTune.kind === 'builtin' && fineTune.distill !== null;
  const labelsForTraining = fineTune.kind === 'builtin' && !distilling;
  checkDataSource(model, d.train, `${WHERE}: data.train`, labelsForTraining, labelsForTraining ? { loss: compile.loss } : undefined);
  // Validation labels are optional (without them the run measures agreement with the original); when given, their shapes are checked against the loss.
  if (d.validation !== undefined) checkDataSource(model, d.validation, `${WHERE}: data.validation`, false, { loss: compile.loss });
  const validationLabelled = labelled(d.validation);
  const needsScoring = criterion.needs.length > 0;
  const lossForScoring = needsLabels(criterion.needs);
  if (d.scoring !== undefined) checkDataSource(model, d.scoring, `${WHERE}: data.scoring`, lossForScoring, lossForScoring ? { loss: compile.loss } : undefined);
  const lossOf = perExampleLoss(model, compile.loss);
  const metricDirections: Record<string, MetricDirection> = {};
  let unlabeledMetric: 'agreement' | 'outputMse' | undefined;
  if (validationLabelled) {
    metricDirections.loss = 'lower';
    for (const m of compile.metrics) metricDirections[m.name] = m.direction;
  } else if (d.validation !== undefined) {
    // Without labels, the validation data measures how close the pruned model stays to the original.
    const first = Array.isArray(compile.loss) ? compile.loss[0] : compile.loss;
    const classifier = typeof first === 'string' && first.replace(/_/g, '').toLowerCase().endsWith('crossentropy');
    unlabeledMetric = classifier ? 'agreement' : 'outputMse';
    metricDirections[unlabeledMetric] = classifier ? 'higher' : 'lower';
  }
  const measuresLatency = objective === 'latency' || stop.requires?.latency === true;
  const deploy = resolveDeploy(o.deploy, WHERE);
  const measuresSize = objective === 'size' || stop.requires?.size === true || deploy !== null;
  for (const name of stop.requires?.metrics ?? []) {
    if (d.validation === undefined) {
      throw new PruneError('MISSING_DATA', `${WHERE}: the stopping policy '${stop.name}' bounds metric '${name}', which is measured on validation data, but data.validation was not given.`);
    }
    if (!(name in metricDirections)) {
      throw new PruneError(
        'INVALID_OPTION',
        `${WHERE}: the stopping policy '${stop.name}' uses metric '${name}', which is not measured; measured: ${Object.keys(metricDirections).join(', ')}. ` +
          (unlabeledMetric ? `data.validation has no labels, so only '${unlabeledMetric}' (against the original model's outputs) is measured; bound that, or give labels.` : 'Add it to compile.metrics.'),
      );
    }
  }
  const owned: tf.Tensor[] = [];
  let scoring = d.scoring;
  if (scoring === undefined && needsScoring) {
    const source = lossForScoring ? (validationLabelled ? d.validation! : d.train) : d.validation ?? d.train;
    if (lossForScoring && !validationLabelled && distilling) {
      throw new PruneError('MISSING_DATA', `${WHERE}: criterion '${criterion.name}' needs labelled scoring data; give data.validation or data.scoring with labels (the training data is unlabeled for distillation).`);
    }
    scoring = headOf(source, DEFAULT_SCORING_EXAMPLES, owned);
  }

  // A criterion whose scores cannot rank is replaced, loudly, by one that needs no labels.
  let fallbackData: DataSource | undefined;
  const fallback =
    criterion.name === 'obs'
      ? undefined
      : { criterion: criteria.obs(), data: () => (fallbackData ??= scoring ?? headOf(d.validation ?? d.train, DEFAULT_SCORING_EXAMPLES, owned)) };

  let compensation: ResolvedCompensation | null;
  try {
    compensation = resolveStepCompensation(
      o.compensate,
      () => d.scoring ?? headOf(d.train, DEFAULT_CALIBRATION_EXAMPLES, owned, 32),
      WHERE,
      'give data.scoring or compensate: { data: { x: samples } }.',
    );
    if (compensation && compensation.data !== d.scoring && o.compensate !== true && (o.compensate as Partial<CompensateOptions>).data !== undefined) {
      checkDataSource(model, compensation.data, `${WHERE}: compensate.data`, false);
    }
  } catch (e) {
    owned.forEach((t) => t.dispose());
    throw e;
  }

  return {
    criterion,
    compile,
    schedule,
    fineTune,
    objective,
    stop,
    seed,
    verbose: o.verbose ?? false,
    onStep: o.onStep,
    signal: o.signal,
    checkpoint: o.checkpoint,
    resume: o.resume ?? false,
    train: d.train,
    validation: d.validation,
    scoring,
    owned,
    lossOf,
    metricDirections,
    measuresLatency,
    ...(inputShape ? { inputShape } : {}),
    ...(fallback ? { fallback } : {}),
    ...(o.scoringBatchSize !== undefined ? { scoringBatchSize: o.scoringBatchSize } : {}),
    ...(unlabeledMetric ? { unlabeledMetric } : {}),
    warnings,
    deploy,
    measuresSize,
    compensation,
  };
}
