import * as tf from '@tensorflow/tfjs';
import type { Criterion } from '../../src/criteria/criterion';
import { distill } from '../../src/finetune/fine-tune-options';
import { recalibrateBatchNorm } from '../../src/finetune/recalibrate-batch-norm';
import { recalibrateGuarded } from '../../src/finetune/guarded-recalibration';
import { TrainingStream } from '../../src/finetune/training-stream';
import { changedBatchNorms } from '../../src/loop/changed-batch-norms';
import { pruneIteratively } from '../../src/prune-iteratively';
import { maxSteps } from '../../src/stopping/max-steps';
import { prune } from '../../src/surgery/prune';

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

/** conv c1 (4) -> bn1 -> relu -> conv c2 (4) -> bn2 -> relu -> global pool -> dense (3, softmax). */
function twoBn(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, padding: 'same', name: 'c1', kernelInitializer: init(1) }),
      tf.layers.batchNormalization({ name: 'bn1' }),
      tf.layers.reLU({ name: 'r1' }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c2', kernelInitializer: init(2) }),
      tf.layers.batchNormalization({ name: 'bn2' }),
      tf.layers.reLU({ name: 'r2' }),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelInitializer: init(3) }),
    ],
  });
}

/** Sets every BN's moving statistics to the moments of its input on `x` (a model calibrated on x). */
async function calibrate(model: tf.LayersModel, x: tf.Tensor): Promise<void> {
  const stream = new TrainingStream(model, { x }, x.shape[0], 0, false);
  await recalibrateBatchNorm(model, stream, 1);
}

const stats = (m: tf.LayersModel, layer: string): number[][] => m.getLayer(layer).getWeights().slice(2).map((w) => Array.from(w.dataSync()));
const drop = (group: string, index: number): Criterion => ({
  name: `drop-${group}-${index}`,
  needs: [],
  normalize: 'none',
  score: (input) => Object.fromEntries(input.groups.map((g) => [g.id, Float32Array.from({ length: g.size }, (_, i) => (g.id === group && i === index ? 0 : 1))])),
});

describe('BatchNorm re-estimation: only what the surgery changed, never for the worse', () => {
  let model: tf.LayersModel;
  let xVal: tf.Tensor;
  let yVal: tf.Tensor;
  let xShifted: tf.Tensor;
  beforeAll(async () => {
    model = twoBn();
    xVal = tf.randomNormal([32, 6, 6, 2], 0, 1, 'float32', 7);
    await calibrate(model, xVal);
    // Soft labels: the original's own outputs, so the validation loss is lowest for the original.
    yVal = model.predict(xVal) as tf.Tensor;
    // Unlabeled training images from another distribution: nearly constant images, whose BN statistics do not fit xVal at all.
    xShifted = tf.tidy(() => tf.randomNormal([32, 6, 6, 2], 0, 1, 'float32', 8).mul(0.01).add(1));
  });
  afterAll(() => {
    model.dispose();
    tf.dispose([xVal, yVal, xShifted]);
  });

  test('changedBatchNorms: BN layers downstream of the consumers of the pruned groups', () => {
    const a = prune(model, { c1: [0] });
    const b = prune(model, { c2: [0] });
    // c1's consumer is c2, so bn2 sees new inputs; bn1 only loses the channel (others unchanged).
    expect([...changedBatchNorms(model, a, { c1: 1 })]).toEqual(['bn2']);
    // c2's consumer is the dense head: no BN after it.
    expect([...changedBatchNorms(model, b, { c2: 1 })]).toEqual([]);
    expect([...changedBatchNorms(model, a, { c1: 0 })]).toEqual([]);
    a.dispose();
    b.dispose();
  });

  test('recalibrateGuarded undoes statistics that make the judged value worse, keeps better ones', async () => {
    const copy = prune(model, { c1: [0] });
    const original = stats(copy, 'bn2');
    const tensors = tf.memory().numTensors;
    const judged: number[] = [];
    // A judge that rises with every call: the re-estimate is "worse" and is undone.
    const worse = await recalibrateGuarded(copy, new TrainingStream(copy, { x: xShifted }, 16, 0, false), 2, new Set(['bn2']), async () => judged.push(judged.length) - 1);
    expect(worse).toEqual({ layers: 1, kept: false, before: 0, after: 1 });
    expect(stats(copy, 'bn2')).toEqual(original);
    // A judge that falls: kept, equal to the plain re-estimation of bn2 only (bn1 untouched).
    const bn1 = stats(copy, 'bn1');
    const better = await recalibrateGuarded(copy, new TrainingStream(copy, { x: xShifted }, 16, 0, false), 2, new Set(['bn2']), async () => -judged.push(0));
    expect(better.kept).toBe(true);
    const reference = prune(model, { c1: [0] });
    await recalibrateBatchNorm(reference, new TrainingStream(reference, { x: xShifted }, 16, 0, false), 2, new Set(['bn2']));
    expect(stats(copy, 'bn2')).toEqual(stats(reference, 'bn2'));
    expect(stats(copy, 'bn1')).toEqual(bn1);
    expect(stats(reference, 'bn2')).not.toEqual(original);
    reference.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    copy.dispose();
  });

  const run = (criterion: Criterion, validation: { x: tf.Tensor; y?: tf.Tensor }) =>
    pruneIteratively(model, { train: { x: xShifted }, validation: validation as { x: tf.Tensor; y: tf.Tensor } }, {
      compile: { optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
      criterion,
      schedule: { channelsPerStep: 1 },
      fineTune: distill({ steps: 0, recalibrateBatchNorm: 2 }),
      stop: maxSteps(1),
    });

  test('a step that changes no BN input re-estimates nothing: the statistics stay the original ones', async () => {
    const { model: small, report } = await run(drop('c2', 1), { x: xVal, y: yVal });
    const step = report.toJSON().steps[0];
    expect(step.batchNorm).toBeUndefined();
    const reference = prune(model, { c2: [1] });
    for (const bn of ['bn1', 'bn2']) expect(stats(small, bn)).toEqual(stats(reference, bn));
    expect(step.metricsAfterFineTune).toEqual(step.metricsBeforeFineTune);
    [small, reference].forEach((m) => m.dispose());
  });

  test('statistics from unrepresentative data that worsen the validation loss are undone', async () => {
    const { model: small, report } = await run(drop('c1', 1), { x: xVal, y: yVal });
    const step = report.toJSON().steps[0];
    expect(step.batchNorm).toMatchObject({ layers: 1, kept: false });
    expect(step.batchNorm!.after!).toBeGreaterThan(step.batchNorm!.before!);
    // before = the validation loss right after surgery.
    expect(step.batchNorm!.before!).toBeCloseTo(step.metricsBeforeFineTune.loss, 5);
    const reference = prune(model, { c1: [1] });
    for (const bn of ['bn1', 'bn2']) expect(stats(small, bn)).toEqual(stats(reference, bn));
    expect(step.metricsAfterFineTune).toEqual(step.metricsBeforeFineTune);
    [small, reference].forEach((m) => m.dispose());
  });

  test('statistics that help are kept (training data from the validation distribution)', async () => {
    const { model: small, report } = await pruneIteratively(model, { train: { x: xVal }, validation: { x: xVal, y: yVal } }, {
      compile: { optimizer: 'sgd', loss: 'categoricalCrossentropy' },
      criterion: drop('c1', 1),
      schedule: { channelsPerStep: 1 },
      fineTune: distill({ steps: 0, recalibrateBatchNorm: 2 }),
      stop: maxSteps(1),
    });
    const step = report.toJSON().steps[0];
    expect(step.batchNorm).toMatchObject({ layers: 1, kept: true });
    expect(step.batchNorm!.after!).toBeLessThanOrEqual(step.batchNorm!.before!);
    expect(step.metricsAfterFineTune.loss).toBeCloseTo(step.batchNorm!.after!, 5);
    small.dispose();
  });
});
