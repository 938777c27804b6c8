import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import { modelFromArtifacts, modelToArtifacts } from '../checkpoint/model-artifacts';
import { channelIndex } from '../criteria/channel-index';
import { GatedEvaluator, type EvaluationBatch } from '../criteria/gated-evaluator';
import { gatedForward, planGates } from '../criteria/gated-forward';
import { l1Norm } from '../criteria/l1-norm';
import { WeightViews } from '../criteria/weight-views';
import { batchesOf, disposeBatch, type Batch } from '../data/data-source';
import { compileModel, disposeModel, newOptimizer } from '../finetune/compile-options';
import type { CompileOptions } from '../finetune/compile-options';
import type { FineTuneContext, FineTuneFunction, FineTuneOptions } from '../finetune/fine-tune-options';
import { TrainingStream } from '../finetune/training-stream';
import { analyze } from '../graph/analyze';
import { resolveModel } from '../graph/resolve-model';
import { finalPhase, fineTunePhase } from '../loop/fine-tune-phase';
import { headOf, resolveLoopConfig, type PruneData } from '../loop/loop-config';
import { measureModel, validationMetrics, type MeasureSettings } from '../loop/measure-model';
import { stepLine } from '../loop/step-line';
import { assertLayersModel } from '../model/assert-layers-model';
import { countFlops } from '../metrics/count-flops';
import { countParams } from '../metrics/count-params';
import { accuracy } from '../metrics/metric';
import { createReport, type PruneReport } from '../report/prune-report';
import type { AgentLayerTrace, PruneReportJSON } from '../report/report-json';
import type { StepRecord } from '../report/step-record';
import { prune } from '../surgery/prune';
import { trainLayerAgent, type AgentTrainingOptions, type ResolvedAgentTraining } from './train-layer-agent';
import { yieldToEventLoop } from '../util/yield-to-event-loop';
import { lockedGroupHint } from '../graph/locked-group-hint';

/**
 * Options of {@link learnToPrune}.
 *
 * @example
 * ```ts
 * const options: LearnToPruneOptions = {
 *   compile: { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
 *   b: 0.01,
 *   agent: { samplesPerUpdate: 8, updatesPerLayer: 40 },
 * };
 * ```
 */
export interface LearnToPruneOptions {
  /** How every new model is compiled (as for `pruneIteratively`). Required. */
  compile: CompileOptions;
  /**
   * The accuracy drop each layer's agent accepts, as a fraction (0.01 = one point): the reward
   * turns negative beyond it. The trade-off knob: a larger `b` prunes more. Required.
   */
  b: number;
  /** Fine-tuning after each layer is pruned (and optionally before and after). Default: 100 minibatches of 32. */
  fineTune?: FineTuneOptions | FineTuneFunction;
  /** How each layer's agent is trained. */
  agent?: AgentTrainingOptions;
  /** Group ids (from `analyze`) to prune, pruned in this order. Default: every prunable group, input to output. */
  layers?: readonly string[];
  /** Called after each layer with its record. */
  onStep?: (record: StepRecord) => void | Promise<void>;
  /** Print one line per layer. Default: false. */
  verbose?: boolean;
  /** Stops cleanly between updates and minibatches; the last finished model is returned. */
  signal?: AbortSignal;
  /** Seed of the agents and of the training order. Default: 0. */
  seed?: number;
}

const WHERE = 'learnToPrune';

/**
 * Trains `model` for `steps` minibatches with the gates of `mask` multiplied in (the candidate's
 * channels switched off), with a fresh optimizer from the compile options.
 */
async function gatedFineTune(
  resolved: ReturnType<typeof resolveModel>,
  plan: ReturnType<typeof planGates>,
  mask: Float32Array,
  model: tf.LayersModel,
  cfg: ReturnType<typeof resolveLoopConfig>,
  stream: TrainingStream,
  steps: number,
): Promise<void> {
  const optimizer = newOptimizer(cfg.compile);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  try {
    for (let i = 0; i < steps; i++) {
      if (i > 0) await yieldToEventLoop();
      const batch = await stream.next();
      if (batch === null || batch.y === null) {
        if (batch) tf.dispose(batch.x);
        throw new PruneError('MISSING_DATA', `${WHERE}: agent.candidateFineTuneSteps needs labelled training data.`);
      }
      try {
        optimizer.minimize(
          () => {
            const gates = tf.tensor2d(mask, [1, plan.width]).tile([batch.size, 1]);
            return cfg.lossOf(batch.y!, gatedForward(resolved, plan, batch.x, gates, { training: true })).mean() as tf.Scalar;
          },
          false,
          vars,
        );
      } finally {
        tf.dispose([...batch.x, ...batch.y]);
      }
    }
  } finally {
    optimizer.dispose(); // made for this candidate only
  }
}

function resolveAgentTraining(o: AgentTrainingOptions | undefined): ResolvedAgentTraining {
  const a = o ?? {};
  if (typeof a !== 'object' || a === null) throw new PruneError('INVALID_OPTION', `${WHERE}: agent must be an object of agent training options.`);
  const known = ['samplesPerUpdate', 'updatesPerLayer', 'learningRate', 'hidden', 'initialKeep', 'evaluationExamples', 'minChannels', 'candidateFineTuneSteps'];
  const unknown = Object.keys(a).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new PruneError('INVALID_OPTION', `${WHERE}: unknown agent option(s) ${unknown.join(', ')}; known: ${known.join(', ')}.`);
  const r: ResolvedAgentTraining = {
    samplesPerUpdate: a.samplesPerUpdate ?? 8,
    updatesPerLayer: a.updatesPerLayer ?? 40,
    learningRate: a.learningRate ?? 0.05,
    hidden: a.hidden ?? 32,
    initialKeep: a.initialKeep ?? 0.9,
    evaluationExamples: a.evaluationExamples ?? 512,
    minChannels: a.minChannels ?? 1,
    candidateFineTuneSteps: a.candidateFineTuneSteps ?? 0,
  };
  const int = (k: keyof ResolvedAgentTraining, min: number): void => {
    if (!Number.isInteger(r[k]) || r[k] < min) throw new PruneError('INVALID_OPTION', `${WHERE}: agent.${k} must be an integer >= ${min}; got ${String(r[k])}.`);
  };
  int('samplesPerUpdate', 2);
  int('updatesPerLayer', 0);
  int('hidden', 1);
  int('evaluationExamples', 1);
  int('minChannels', 1);
  int('candidateFineTuneSteps', 0);
  if (!(r.learningRate > 0) || !Number.isFinite(r.learningRate)) throw new PruneError('INVALID_OPTION', `${WHERE}: agent.learningRate must be a positive number; got ${r.learningRate}.`);
  if (!(r.initialKeep > 0 && r.initialKeep < 1)) throw new PruneError('INVALID_OPTION', `${WHERE}: agent.initialKeep must be in (0, 1); got ${r.initialKeep}.`);
  return r;
}

/**
 * Prunes a model with learned pruning agents (Huang et al. 2018, "Learning to Prune Filters in
 * Convolutional Neural Networks"): layer by layer from input to output, a small policy network reads
 * the layer's filters and learns, by trial and error with REINFORCE, which channels to drop. Its
 * reward `R = psi * phi` favours removing many channels (`phi = log(C / |A|)`) while the accuracy
 * drop stays within `b` (`psi = (b - (p - p_hat)) / b`). Candidates are evaluated with gates on a
 * fixed set of validation examples (one forward pass each, no surgery). Once a layer's agent is
 * trained, the channels its greedy policy drops are removed with `prune`, the model is fine-tuned,
 * and the next layer follows. The report has one step per layer and the agents' training curves
 * (`toJSON().agent`). The input model is never modified.
 *
 * @param model A trained, built `tf.LayersModel` (a single-output classifier: rewards use accuracy).
 * @param data `{ train, validation }`: validation examples score the candidates and the result.
 * @param options `compile` and `b` are required; see {@link LearnToPruneOptions}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { learnToPrune } from 'tfjs-prune';
 *
 * const { model: small, report } = await learnToPrune(model, { train: { x: xTrain, y: yTrain }, validation: { x: xVal, y: yVal } }, {
 *   compile: { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
 *   b: 0.01,
 *   fineTune: { steps: 100, batchSize: 64 },
 * });
 * console.log(report.toMarkdown());
 * ```
 */
export async function learnToPrune(model: tf.LayersModel, data: PruneData, options: LearnToPruneOptions): Promise<{ model: tf.LayersModel; report: PruneReport }> {
  assertLayersModel(model, 'model');
  if (options === null || typeof options !== 'object') throw new PruneError('INVALID_OPTION', `${WHERE}: options { compile, b } are required.`);
  const known = ['compile', 'b', 'fineTune', 'agent', 'layers', 'onStep', 'verbose', 'signal', 'seed'];
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new PruneError('INVALID_OPTION', `${WHERE}: unknown option(s) ${unknown.join(', ')}; known options: ${known.join(', ')}.`);
  const { b } = options;
  if (typeof b !== 'number' || !(b > 0) || !Number.isFinite(b)) {
    throw new PruneError('INVALID_OPTION', `${WHERE}: b, the accuracy drop each layer may cost, must be a positive number (0.01 = one point); got ${String(b)}.`);
  }
  const agentOptions = resolveAgentTraining(options.agent);
  const cfg = resolveLoopConfig(model, data, {
    compile: options.compile,
    criterion: l1Norm(),
    fineTune: options.fineTune,
    stop: { name: 'learnToPrune', check: () => ({ stop: false }) },
    onStep: options.onStep,
    verbose: options.verbose,
    signal: options.signal,
    seed: options.seed,
  }, WHERE);
  if (cfg.validation === undefined) {
    throw new PruneError('MISSING_DATA', `${WHERE}: data.validation is required: the agents' rewards are accuracies measured on validation examples.`);
  }
  if (cfg.compile.metrics.every((m) => m.name !== 'accuracy')) cfg.metricDirections.accuracy = 'higher';
  const metrics = cfg.compile.metrics.some((m) => m.name === 'accuracy') ? cfg.compile.metrics : [...cfg.compile.metrics, accuracy()];
  const analysis = analyze(model);
  const prunable = analysis.groups.filter((g) => g.prunable).map((g) => g.id);
  const order = options.layers ?? prunable;
  if (!Array.isArray(order)) throw new PruneError('INVALID_OPTION', `${WHERE}: layers must be an array of group ids.`);
  for (const id of order) {
    const g = analysis.groups.find((x) => x.id === id);
    if (!g) throw new PruneError('UNKNOWN_GROUP', `${WHERE}: layers names group '${id}', which does not exist; prunable groups: ${prunable.join(', ') || '(none)'}.`);
    if (!g.prunable) throw new PruneError('GROUP_NOT_PRUNABLE', `${WHERE}: layers names group '${id}', which cannot be pruned (${g.reason}). ${lockedGroupHint(g.reason, prunable)}`);
  }

  const runStart = performance.now();
  const owned: tf.Tensor[] = [...cfg.owned];
  const evalSource = headOf(cfg.validation, agentOptions.evaluationExamples, owned);
  const evalBatches: Batch[] = [];
  // The model being pruned; disposed on the way out unless it is returned.
  const held: { model: tf.LayersModel | null } = { model: null };
  try {
    for await (const batch of batchesOf(model, evalSource, 128, `${WHERE}: data.validation`, true)) evalBatches.push(batch);
    const evaluation: EvaluationBatch[] = evalBatches.map((x) => ({ x: x.x, y: x.y!, size: x.size }));
    const measure: MeasureSettings = { validation: cfg.validation, lossOf: cfg.lossOf, metrics, batchSize: 128, latency: false };
    const groups = analysis.groups.map((g) => ({ id: g.id, size: g.size, prunable: g.prunable }));
    const seconds = { total: 0, scoring: 0, surgery: 0, fineTune: 0, evaluation: 0 };
    const batchSize = cfg.fineTune.kind === 'builtin' ? cfg.fineTune.batchSize : 32;
    const labels = cfg.fineTune.kind === 'builtin' && cfg.fineTune.distill === null;
    const stream = new TrainingStream(model, cfg.train, batchSize, cfg.seed, labels);
    const context = (phase: FineTuneContext['phase'], step: number): FineTuneContext => ({ phase, step, train: cfg.train, original: model, seed: cfg.seed, signal: cfg.signal });
    const log = (line: string): void => {
      if (cfg.verbose) console.log(line);
    };

    let current = await modelFromArtifacts(await modelToArtifacts(model));
    held.model = current;
    compileModel(current, cfg.compile);
    if (cfg.fineTune.kind === 'function' || cfg.fineTune.initial !== null) {
      const r = await fineTunePhase(cfg, current, cfg.fineTune.kind === 'builtin' ? cfg.fineTune.initial : null, stream, context('initial', 0));
      seconds.fineTune += r.seconds;
      if (r.diverged) throw new PruneError('INVALID_OPTION', `${WHERE}: the initial fine-tune diverged (a NaN or infinite loss); lower the learning rate of compile.optimizer.`);
    }
    let t = performance.now();
    const baseline = await measureModel(current, measure);
    seconds.evaluation += (performance.now() - t) / 1000;
    log(`[tfjs-prune] baseline: ${baseline.params} params, ${baseline.flops} MACs, accuracy ${baseline.metrics.accuracy.toPrecision(4)}`);

    const history: StepRecord[] = [];
    const traces: AgentLayerTrace[] = [];
    let stoppedBy = 'allLayersPruned';
    let stopDetail: string | undefined;
    for (const [index, groupId] of order.entries()) {
      if (cfg.signal?.aborted) {
        stoppedBy = 'aborted';
        break;
      }
      const resolved = resolveModel(current);
      const group = resolved.groupById.get(groupId)!;
      const plan = planGates(resolved, [group]);
      const recover = agentOptions.candidateFineTuneSteps;
      const evaluator = new GatedEvaluator(resolved, plan, evaluation, cfg.lossOf, recover === 0);
      let result;
      t = performance.now();
      try {
        const producers = new WeightViews(resolved, channelIndex(resolved)).producerWeights(groupId);
        const accuracyWith = async (keep: Float32Array): Promise<number> => {
          const mask = new Float32Array(plan.width).fill(1);
          mask.set(keep, plan.offsets.get(groupId)!);
          if (recover === 0 || keep.every((k) => k === 1)) return evaluator.evaluate(mask, 'accuracy');
          // Judge the candidate after a little recovery: train with its gates, measure, restore.
          const snapshot = current.getWeights().map((w) => w.clone());
          try {
            await gatedFineTune(resolved, plan, mask, current, cfg, stream, recover);
            return await evaluator.evaluate(mask, 'accuracy');
          } finally {
            current.setWeights(snapshot);
            tf.dispose(snapshot);
          }
        };
        result = await trainLayerAgent(groupId, group.size, producers, accuracyWith, b, agentOptions, cfg.seed * 7919 + index, cfg.signal);
      } finally {
        evaluator.dispose();
      }
      seconds.scoring += (performance.now() - t) / 1000;
      traces.push(result.trace);
      if (cfg.signal?.aborted) {
        stoppedBy = 'aborted';
        break;
      }
      const removals = result.drop.length > 0 ? { [groupId]: result.drop } : {};
      t = performance.now();
      const next = result.drop.length > 0 ? prune(current, removals) : await modelFromArtifacts(await modelToArtifacts(current));
      const surgery = (performance.now() - t) / 1000;
      seconds.surgery += surgery;
      compileModel(next, cfg.compile);
      t = performance.now();
      const before = await validationMetrics(next, measure);
      let evaluationSeconds = (performance.now() - t) / 1000;
      const ft = await fineTunePhase(cfg, next, cfg.fineTune.kind === 'builtin' ? cfg.fineTune.between : null, stream, context('step', index + 1));
      seconds.fineTune += ft.seconds;
      if (ft.aborted || ft.diverged) {
        disposeModel(next);
        stoppedBy = ft.aborted ? 'aborted' : 'diverged';
        if (ft.diverged) stopDetail = `fine-tuning after layer '${groupId}' gave a NaN or infinite loss; that layer was rolled back`;
        break;
      }
      t = performance.now();
      const after = await measureModel(next, measure);
      evaluationSeconds += (performance.now() - t) / 1000;
      seconds.evaluation += evaluationSeconds;
      const channels = Object.fromEntries(analyze(next).groups.filter((g) => g.prunable).map((g) => [g.id, g.size]));
      const record: StepRecord = {
        step: index + 1,
        removedPerGroup: result.drop.length > 0 ? { [groupId]: result.drop.length } : {},
        removedPerLayer: Object.fromEntries(group.members.filter((m) => m.role === 'producer').map((m) => [m.layer, result.drop.length])),
        channels,
        params: countParams(next).total,
        flops: countFlops(next).total,
        metricsBeforeFineTune: before,
        metricsAfterFineTune: after.metrics,
        seconds: { scoring: result.trace.seconds, surgery, fineTune: ft.seconds, evaluation: evaluationSeconds },
      };
      history.push(record);
      disposeModel(current);
      current = next;
      held.model = current;
      log(`${stepLine(record, baseline)} | agent kept ${result.trace.kept}/${result.trace.channels} of ${groupId}`);
      await cfg.onStep?.(record);
    }

    const end = await finalPhase(cfg, current, stream, context('final', history.length), measure, stoppedBy === 'aborted');
    seconds.fineTune += end.fineTuneSeconds;
    seconds.evaluation += end.evaluationSeconds;
    if (end.undone) stopDetail = `${stopDetail ?? ''}${stopDetail ? '; ' : ''}the final fine-tune diverged and was undone`;
    const { final } = end;
    const finalBeforeFineTune = end.before;
    seconds.total = (performance.now() - runStart) / 1000;
    const json: PruneReportJSON = {
      version: 1,
      criterion: 'agent',
      objective: 'flops',
      metricDirections: cfg.metricDirections,
      baseline,
      final,
      steps: history,
      stoppedBy,
      ...(stopDetail !== undefined ? { stopDetail } : {}),
      ...(finalBeforeFineTune ? { finalBeforeFineTune } : {}),
      seconds,
      groups,
      agent: traces,
    };
    held.model = null;
    return { model: current, report: createReport(json) };
  } finally {
    if (held.model) disposeModel(held.model);
    evalBatches.forEach(disposeBatch);
    tf.dispose(owned);
  }
}
