import * as tf from '@tensorflow/tfjs';
import { PruneError } from './errors';
import { modelFromArtifacts, modelToArtifacts } from './checkpoint/model-artifacts';
import { assertDataNotEmpty } from './data/assert-data-not-empty';
import { compileModel, disposeModel } from './finetune/compile-options';
import type { FineTuneContext } from './finetune/fine-tune-options';
import { deployPhase } from './loop/deploy-phase';
import { finalPhase, fineTunePhase } from './loop/fine-tune-phase';
import { TrainingStream } from './finetune/training-stream';
import { analyze } from './graph/analyze';
import { resolveLoopConfig, type LoopConfig, type PruneData, type PruneIterativelyOptions } from './loop/loop-config';
import { measureModel, validationMetrics, type MeasureSettings } from './loop/measure-model';
import { checkRestoredModel, checkStreamPosition, validateRunState, type RunState } from './loop/run-state';
import { stepLine } from './loop/step-line';
import { exampleShapeOf } from './loop/example-shape';
import { changedBatchNorms } from './loop/changed-batch-norms';
import { headOf } from './loop/loop-config';
import { compareOutputs } from './metrics/compare-outputs';
import { hasDynamicInput } from './metrics/input-shape';
import { assertLayersModel } from './model/assert-layers-model';
import { pruneStep } from './pruner';
import type { Measurement } from './report/measurement';
import { createReport, type PruneReport } from './report/prune-report';
import type { PruneReportJSON } from './report/report-json';
import type { StepRecord } from './report/step-record';
import type { LoopState, StopDecision } from './stopping/stop-policy';

/**
 * What {@link pruneIteratively} returns: the pruned model (compiled, yours to use and dispose) and
 * the report of the run.
 *
 * @example
 * ```ts
 * const result: PruneResult = await pruneIteratively(model, { train: { x: xTrain, y: yTrain }, validation: { x: xVal, y: yVal } }, {
 *   compile: { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
 *   stop: targetFlops(0.5),
 * });
 * console.log(result.report.toMarkdown());
 * await result.model.save('downloads://pruned');
 * ```
 */
export interface PruneResult {
  model: tf.LayersModel;
  report: PruneReport;
}

/** The settings a resumed run must share with the run that wrote the checkpoint. */
function settingsOf(cfg: LoopConfig): string {
  const { exclude, ...schedule } = cfg.schedule;
  return JSON.stringify({
    criterion: cfg.criterion.name,
    schedule,
    exclude: String(exclude),
    // A custom fine-tune function is compared by its source text (closures over other values are not seen).
    fineTune: cfg.fineTune.kind === 'function' ? `function ${String(cfg.fineTune.fn)}` : cfg.fineTune,
    objective: cfg.objective,
    stop: cfg.stop.name,
    ...(cfg.deploy ? { deploy: cfg.deploy } : {}),
    // Calibration data are not compared (tensors); the rest of compensation is.
    ...(cfg.compensation ? { compensate: { ...cfg.compensation, data: undefined } } : {}),
    loss: typeof cfg.compile.loss === 'function' ? 'function' : cfg.compile.loss,
    metrics: cfg.compile.metrics.map((m) => m.name),
    seed: cfg.seed,
  });
}

const WHERE = 'pruneIteratively';

/** Whether tensor data has labels (a dataset is taken to have them: it is checked batch by batch). */
function hasLabels(data: PruneData['train']): boolean {
  return !('x' in data) || (data as { y?: unknown }).y !== undefined;
}

/** Whether a measurement meets every bound of the stop policy. */
function meetsBounds(cfg: LoopConfig, m: Measurement, baseline: Measurement): boolean {
  return cfg.stop.bound ? cfg.stop.bound(m, baseline, cfg.metricDirections) : true;
}

/**
 * Prunes a model iteratively, the procedure of Molchanov et al. 2017: (optionally) fine-tune it,
 * then repeat { rank channels with the criterion, remove the lowest-ranked ones for real (a smaller
 * model), fine-tune briefly, measure } until the stopping policy says the trade-off is reached.
 * Returns the pruned model (compiled) and a report. The input model is never modified.
 *
 * - When a bound (`maxMetricDrop`, `minMetric`) is broken, the result is the last model that met
 *   every bound (rollback), and the report says so.
 * - A NaN or infinite loss during fine-tuning rolls the step back and stops (`'diverged'`).
 * - `signal` stops cleanly between minibatches; the best model so far is returned (`'aborted'`).
 * - With `checkpoint`, the state is saved after every step; `resume: true` continues a killed run
 *   from its last completed step and ends where an uninterrupted run with the same seed ends.
 *
 * @param model A built `tf.LayersModel` (trained, or trained here with `fineTune.initial`).
 * @param data `{ train, validation?, scoring? }`, each `{ x, y }` tensors or a batched dataset.
 * @param options At least `compile` and `stop`; see {@link PruneIterativelyOptions}.
 * @throws PruneError before any work for missing or bad options and data (`INVALID_OPTION`,
 *   `MISSING_DATA`, `DATA_MISMATCH`, `MISSING_LOSS`), and `CHECKPOINT_INVALID` for a checkpoint of
 *   another run.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { anyOf, maxMetricDrop, pruneIteratively, targetFlops } from 'tfjs-prune';
 *
 * const { model: small, report } = await pruneIteratively(model, { train: { x: xTrain, y: yTrain }, validation: { x: xVal, y: yVal } }, {
 *   compile: { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
 *   stop: anyOf(targetFlops(0.5), maxMetricDrop('accuracy', 0.01)),
 *   fineTune: { steps: 100, batchSize: 64, final: { epochs: 1 } },
 *   verbose: true,
 * });
 * console.log(report.toMarkdown());
 * ```
 */
export async function pruneIteratively(model: tf.LayersModel, data: PruneData, options: PruneIterativelyOptions): Promise<PruneResult> {
  assertLayersModel(model, 'model');
  const cfg = resolveLoopConfig(model, data, options);
  if (cfg.inputShape === undefined && hasDynamicInput(model)) {
    // A model without a fixed input size is measured at the size of its data, found before any work.
    const shape = await exampleShapeOf([cfg.validation, cfg.scoring, cfg.train], WHERE);
    if (shape === null) {
      tf.dispose(cfg.owned);
      throw new PruneError(
        'INVALID_OPTION',
        `${WHERE}: model input(s) ${model.inputs.map((t) => JSON.stringify(t.shape)).join(', ')} have no fixed size and the data gave no example to take one from, ` +
          'so FLOPs and latency cannot be measured. Pass options.inputShape, the shape of one example without the batch axis (e.g. [128, 128, 3]).',
      );
    }
    cfg.inputShape = shape;
  }
  const runStart = performance.now();
  const live = new Set<tf.LayersModel>();
  const own = (m: tf.LayersModel): tf.LayersModel => {
    live.add(m);
    return m;
  };
  const drop = (m: tf.LayersModel | null | undefined): void => {
    if (m && live.has(m)) {
      live.delete(m);
      disposeModel(m);
    }
  };
  const log = (line: string): void => {
    if (cfg.verbose) console.log(line);
  };
  let result: tf.LayersModel | null = null;
  try {
    await assertDataNotEmpty(cfg.train, `${WHERE}: data.train`);
    await assertDataNotEmpty(cfg.validation, `${WHERE}: data.validation`);
    await assertDataNotEmpty(cfg.scoring, `${WHERE}: data.scoring`);
    const analysis = analyze(model);
    const groups = analysis.groups.map((g) => ({ id: g.id, size: g.size, prunable: g.prunable }));
    // Judge of the BatchNormalization re-estimation (lower is better): the validation loss, or,
    // without labelled validation data, the distance from the original model's outputs.
    const guardData = cfg.validation ?? cfg.scoring ?? headOf(cfg.train, 256, cfg.owned);
    const judge = async (m: tf.LayersModel): Promise<number> =>
      cfg.validation !== undefined && hasLabels(cfg.validation)
        ? (await validationMetrics(m, measure)).loss
        : (await compareOutputs(m, model, guardData, 128, `${WHERE}: BatchNorm re-estimation`)).mse;
    const measure: MeasureSettings = {
      validation: cfg.validation,
      lossOf: cfg.lossOf,
      metrics: cfg.compile.metrics,
      batchSize: 128,
      latency: cfg.measuresLatency,
      inputShape: cfg.inputShape,
      original: model,
      ...(cfg.unlabeledMetric ? { unlabeled: cfg.unlabeledMetric } : {}),
      loss: cfg.compile.loss,
      size: cfg.measuresSize ? { dtype: cfg.deploy?.dtype ?? 'float32', minElements: cfg.deploy?.minElements ?? 256 } : null,
    };

    let state: RunState;
    let current: tf.LayersModel;
    let best: tf.LayersModel;

    const saved = cfg.resume && cfg.checkpoint ? await cfg.checkpoint.load() : null;
    if (saved) {
      const raw = saved.state as Partial<RunState> | null;
      const sameModel = raw !== null && typeof raw === 'object' && raw.version === 1 && JSON.stringify(raw.groups) === JSON.stringify(groups);
      if (!sameModel) {
        throw new PruneError(
          'CHECKPOINT_INVALID',
          `${WHERE}: the checkpoint was written by a run on another model, so it cannot be resumed. Pass the same model, or clear the store (checkpoint.clear()) to start over.`,
        );
      }
      state = validateRunState(raw, { step: saved.step, hasBest: saved.best !== undefined, groups, where: WHERE });
      if (state.settings !== settingsOf(cfg)) {
        throw new PruneError(
          'CHECKPOINT_INVALID',
          `${WHERE}: the checkpoint was written with other settings (criterion, schedule, fineTune, objective, stop, compensate, deploy, loss, metrics or seed): ` +
            `stored ${state.settings}, given ${settingsOf(cfg)}. Resume with the same options, or clear the store to start over.`,
        );
      }
      current = own(await modelFromArtifacts(saved.model));
      best = saved.best ? own(await modelFromArtifacts(saved.best)) : current;
      checkRestoredModel(current, state, state.step, WHERE);
      if (best !== current) checkRestoredModel(best, state, state.bestStep, WHERE);
      log(`[tfjs-prune] resuming after step ${state.step}`);
    } else {
      current = own(await modelFromArtifacts(await modelToArtifacts(model)));
      best = current;
      state = {
        version: 1,
        step: 0,
        seed: cfg.seed,
        criterion: cfg.criterion.name,
        baseline: { params: 0, flops: 0, metrics: {} },
        history: [],
        bestStep: 0,
        stream: { epoch: 0, offset: 0 },
        originalSizes: Object.fromEntries(groups.filter((g) => g.prunable).map((g) => [g.id, g.size])),
        groups,
        seconds: { total: 0, scoring: 0, surgery: 0, fineTune: 0, evaluation: 0 },
        settings: settingsOf(cfg),
      };
    }
    const batchSize = cfg.fineTune.kind === 'builtin' ? cfg.fineTune.batchSize : 32;
    const labels = cfg.fineTune.kind === 'builtin' && cfg.fineTune.distill === null;
    const stream = new TrainingStream(model, cfg.train, batchSize, cfg.seed, labels, state.stream, labels ? { loss: cfg.compile.loss } : undefined);
    if (saved) checkStreamPosition(state.stream, stream.batchesPerEpoch, WHERE);
    const context = (phase: FineTuneContext['phase'], step: number): FineTuneContext => ({ phase, step, train: cfg.train, original: model, seed: cfg.seed, signal: cfg.signal });
    const secondsBefore = state.seconds.total;

    const save = async (): Promise<void> => {
      if (!cfg.checkpoint) return;
      state.stream = stream.where();
      state.seconds.total = secondsBefore + (performance.now() - runStart) / 1000;
      await cfg.checkpoint.save({
        version: 1,
        step: state.step,
        model: await modelToArtifacts(current),
        ...(best !== current ? { best: await modelToArtifacts(best) } : {}),
        state: JSON.parse(JSON.stringify(state)),
      });
    };

    let stoppedBy: string | null = state.stopped?.by ?? null;
    let stopDetail = state.stopped?.detail;
    let rollback = state.stopped?.rollback ?? false;

    if (!saved) {
      // (1) Initial fine-tune, then the baseline.
      compileModel(current, cfg.compile);
      if (cfg.fineTune.kind === 'function' || cfg.fineTune.initial !== null) {
        const r = await fineTunePhase(cfg, current, cfg.fineTune.kind === 'builtin' ? cfg.fineTune.initial : null, stream, context('initial', 0), { changed: null, judge });
        state.seconds.fineTune += r.seconds;
        if (r.diverged) throw new PruneError('INVALID_OPTION', `${WHERE}: the initial fine-tune diverged (a NaN or infinite loss, weights or BatchNorm statistics); lower the learning rate of compile.optimizer, and check that data.train holds no NaN or infinite values.`);
        if (r.aborted) stoppedBy = 'aborted';
      }
      const t = performance.now();
      state.baseline = await measureModel(current, measure);
      state.seconds.evaluation += (performance.now() - t) / 1000;
      cfg.stop.validate?.({ baseline: state.baseline, metrics: cfg.metricDirections, measuresLatency: cfg.measuresLatency });
      log(`[tfjs-prune] baseline: ${state.baseline.params} params, ${state.baseline.flops} MACs${cfg.inputShape ? ` at input ${JSON.stringify(cfg.inputShape.length === 1 ? cfg.inputShape[0] : cfg.inputShape)}` : ''}${Object.entries(state.baseline.metrics).map(([k, v]) => `, ${k} ${v.toPrecision(4)}`).join('')}`);
      await save();
    }

    // (2) Prune, fine-tune, measure, until a policy stops the run.
    while (stoppedBy === null) {
      if (cfg.signal?.aborted) {
        stoppedBy = 'aborted';
        break;
      }
      const step = state.step + 1;
      const pruned = await pruneStep(current, cfg.criterion, cfg.schedule, state.originalSizes, {
        data: cfg.scoring,
        loss: cfg.compile.loss,
        objective: cfg.objective,
        inputShape: cfg.inputShape,
        fallback: cfg.fallback,
        batchSize: cfg.scoringBatchSize,
        compensation: cfg.compensation,
        where: WHERE,
        ...(cfg.stop.meetsTarget ? { land: (cost: { flops: number; params: number }) => cfg.stop.meetsTarget!(cost, state.baseline) } : {}),
      });
      if (pruned.warning !== undefined) {
        const warnings = (state.warnings ??= []);
        // Loud: printed the first time, and every step's warning is in the report.
        if (warnings.length === 0) console.warn(`[tfjs-prune] step ${step}: ${pruned.warning}`);
        else log(`[tfjs-prune] step ${step}: ${pruned.warning}`);
        warnings.push(`step ${step}: ${pruned.warning}`);
      }
      state.seconds.scoring += pruned.seconds.scoring;
      state.seconds.surgery += pruned.seconds.surgery;
      if (pruned.seconds.compensation !== undefined) state.seconds.compensation = (state.seconds.compensation ?? 0) + pruned.seconds.compensation;
      const skipped = pruned.compensation?.skipped ?? [];
      if (skipped.length > 0 && !(state.warnings ?? []).some((w) => w.includes('compensation did not refit'))) {
        const warning = `step ${step}: compensation did not refit ${skipped.map((k) => `'${k.layer}' (${k.reason})`).join(', ')}; later steps' skipped layers are in each step record's compensation.skipped`;
        console.warn(`[tfjs-prune] ${warning}`);
        (state.warnings ??= []).push(warning);
      }
      if (pruned.model === null) {
        stoppedBy = 'nothingToPrune';
        stopDetail = 'every prunable group is at its floor (minChannels, maxRatio, roundTo)';
        rollback = best !== current;
        break;
      }
      const next = own(pruned.model);
      compileModel(next, cfg.compile);
      let t = performance.now();
      const before = await validationMetrics(next, measure);
      let evaluation = (performance.now() - t) / 1000;
      const ft = await fineTunePhase(cfg, next, cfg.fineTune.kind === 'builtin' ? cfg.fineTune.between : null, stream, context('step', step), {
        changed: changedBatchNorms(current, next, pruned.removedPerGroup),
        judge,
      });
      state.seconds.fineTune += ft.seconds;
      if (ft.aborted) {
        drop(next);
        stoppedBy = 'aborted';
        break;
      }
      t = performance.now();
      const after = await measureModel(next, measure);
      evaluation += (performance.now() - t) / 1000;
      state.seconds.evaluation += evaluation;
      if (ft.diverged || [after.metrics.loss, after.metrics.outputMse].some((v) => v !== undefined && !Number.isFinite(v))) {
        drop(next);
        stoppedBy = 'diverged';
        stopDetail = `fine-tuning after step ${step} gave a NaN or infinite loss; the step was rolled back`;
        break;
      }
      const record: StepRecord = {
        step,
        removedPerGroup: pruned.removedPerGroup,
        removedPerLayer: pruned.removedPerLayer,
        channels: pruned.channels,
        params: pruned.params,
        flops: pruned.flops,
        ...(after.latencyMs !== undefined ? { latencyMs: after.latencyMs } : {}),
        ...(after.bytes !== undefined ? { bytes: after.bytes } : {}),
        ...(after.bytesQuantized !== undefined ? { bytesQuantized: after.bytesQuantized } : {}),
        metricsBeforeFineTune: before,
        metricsAfterFineTune: after.metrics,
        seconds: {
          scoring: pruned.seconds.scoring,
          surgery: pruned.seconds.surgery,
          ...(pruned.seconds.compensation !== undefined ? { compensation: pruned.seconds.compensation } : {}),
          fineTune: ft.seconds,
          evaluation,
        },
        ...(pruned.compensation ? { compensation: pruned.compensation } : {}),
        ...(ft.batchNorm ? { batchNorm: ft.batchNorm } : {}),
      };
      state.history.push(record);
      state.step = step;
      log(stepLine(record, state.baseline));

      // The new model becomes current; it is the best if it meets every bound.
      const previous = current;
      current = next;
      if (meetsBounds(cfg, after, state.baseline)) {
        if (best !== previous) drop(best);
        best = current;
        state.bestStep = step;
      }
      if (previous !== best) drop(previous);

      const loopState: LoopState = { step, baseline: state.baseline, current: after, history: state.history, metrics: cfg.metricDirections };
      const decision: StopDecision = cfg.stop.check(loopState);
      if (decision.stop) {
        stoppedBy = decision.by ?? cfg.stop.name;
        stopDetail = decision.reason;
        rollback = decision.rollback === true || best !== current;
        state.stopped = { by: stoppedBy, ...(stopDetail !== undefined ? { detail: stopDetail } : {}), rollback };
      }
      await save();
      await cfg.onStep?.(record);
    }

    // (3) The result: the last model, or the last one that met every bound.
    result = stoppedBy === 'aborted' || stoppedBy === 'diverged' || rollback ? best : current;
    const resultStep = result === current ? state.step : state.bestStep;
    if (result !== current) drop(current);
    const rolledBackTo =
      resultStep !== state.step
        ? { step: resultStep, reason: stoppedBy === 'diverged' || stoppedBy === 'aborted' ? stopDetail ?? stoppedBy : `step ${state.step} broke a bound${stopDetail ? `: ${stopDetail}` : ''}` }
        : undefined;

    // Final fine-tune (not after an abort); a diverging one is undone.
    const end = await finalPhase(cfg, result, stream, context('final', state.step), measure, stoppedBy === 'aborted', judge);
    state.seconds.fineTune += end.fineTuneSeconds;
    state.seconds.evaluation += end.evaluationSeconds;
    if (end.undone) stopDetail = `${stopDetail ?? ''}${stopDetail ? '; ' : ''}the final fine-tune diverged and was undone`;
    const { final } = end;
    const finalBeforeFineTune = end.before;
    // (4) Optional deploy step: fold BatchNormalization, measure the model as stored at deploy.dtype.
    let deployed: Awaited<ReturnType<typeof deployPhase>>['report'] | undefined;
    if (cfg.deploy) {
      const d = await deployPhase(result, cfg.deploy, cfg.compile, measure);
      if (d.model !== result) live.delete(result); // deployPhase disposed it
      result = own(d.model);
      deployed = d.report;
      state.seconds.evaluation += d.report.seconds;
      log(`[tfjs-prune] deploy: ${d.report.folded.length} BatchNormalization folded, ${d.report.bytes} bytes at ${d.report.dtype} (${d.report.bytesFloat32} at float32)${Object.entries(d.report.metrics).map(([k, v]) => `, ${k} ${v.toPrecision(4)}`).join('')}`);
    }
    state.seconds.total = secondsBefore + (performance.now() - runStart) / 1000;

    const json: PruneReportJSON = {
      version: 1,
      criterion: cfg.criterion.name,
      objective: cfg.objective,
      metricDirections: cfg.metricDirections,
      baseline: state.baseline,
      final,
      steps: state.history,
      stoppedBy,
      ...(stopDetail !== undefined ? { stopDetail } : {}),
      ...(rolledBackTo ? { rolledBackTo } : {}),
      ...(finalBeforeFineTune ? { finalBeforeFineTune } : {}),
      seconds: state.seconds,
      groups,
      ...(cfg.inputShape ? { inputShape: cfg.inputShape } : {}),
      ...(cfg.warnings.length + (state.warnings?.length ?? 0) > 0 ? { warnings: [...cfg.warnings, ...(state.warnings ?? [])] } : {}),
      ...(deployed ? { deploy: deployed } : {}),
    };
    log(`[tfjs-prune] stopped by ${stoppedBy}${stopDetail ? ` (${stopDetail})` : ''}; returning step ${resultStep}: FLOPs ${((100 * final.flops) / state.baseline.flops).toFixed(1)}%`);
    live.delete(result);
    return { model: result, report: createReport(json) };
  } finally {
    for (const m of live) disposeModel(m);
    tf.dispose(cfg.owned);
  }
}
