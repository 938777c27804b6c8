import * as tf from '@tensorflow/tfjs';
import { criteria } from '../../src/criteria/criteria';
import { scoreGroups } from '../../src/criteria/score-groups';
import { analyze } from '../../src/graph/analyze';
import { countFlops } from '../../src/metrics/count-flops';
import { createPruner } from '../../src/pruner';
import { pruneIteratively } from '../../src/prune-iteratively';
import { maxSteps } from '../../src/stopping/max-steps';
import { prune } from '../../src/surgery/prune';
import { input } from '../helpers/arange';
import { checkInvariant, snapshotWeights } from '../helpers/check-invariant';
import { TestChannelScale, TestProjection } from '../helpers/custom-layers';

jest.setTimeout(60000);

type Sym = tf.SymbolicTensor;
const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());
const setWeight = (layer: tf.layers.Layer, index: number, value: tf.Tensor): void => {
  const weights = layer.getWeights().map((w, i) => (i === index ? value : w));
  layer.setWeights(weights);
  value.dispose();
};

/** Conv2D c1 (4) -> ChannelScale -> Conv2D c2 (3) -> ChannelScale -> GAP -> Dense y (2). */
function convModel(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [5, 5, 2], filters: 4, kernelSize: 3, padding: 'same', name: 'c1', biasInitializer: 'ones' }),
      new TestChannelScale({ name: 's1' }),
      tf.layers.conv2d({ filters: 3, kernelSize: 3, name: 'c2', biasInitializer: 'ones' }),
      new TestChannelScale({ name: 's2', withOffset: true }),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
      tf.layers.dense({ units: 2, name: 'y' }),
    ],
  });
}

/** Dense d1 (5) -> ChannelScale -> Dense d2 (4, relu) -> TestProjection proj (6) -> ChannelScale -> Dense y (2). */
function denseModel(): tf.LayersModel {
  const x = tf.input({ shape: [3] });
  let t = tf.layers.dense({ units: 5, name: 'd1', biasInitializer: 'ones' }).apply(x) as Sym;
  t = new TestChannelScale({ name: 's1', withOffset: true }).apply(t) as Sym;
  t = tf.layers.dense({ units: 4, activation: 'relu', name: 'd2', biasInitializer: 'ones' }).apply(t) as Sym;
  t = new TestProjection({ units: 6, name: 'proj' }).apply(t) as Sym;
  t = new TestChannelScale({ name: 's2' }).apply(t) as Sym;
  return tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2, name: 'y' }).apply(t) as Sym });
}

describe('surgery through custom layers (PrunableLayer)', () => {
  test('Conv2D -> custom elementwise -> Conv2D: the surgery invariant holds', async () => {
    const start = tf.memory().numTensors;
    const m = convModel();
    const x = input([2, 5, 5, 2], 3);
    expect(analyze(m).groups.filter((g) => g.prunable).map((g) => g.id)).toEqual(['c1', 'c2']);
    await checkInvariant(m, { c1: [0, 2], c2: [1] }, x);
    x.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  test('Dense -> custom elementwise -> Dense, and a custom producer: the surgery invariant holds', async () => {
    const start = tf.memory().numTensors;
    const m = denseModel();
    const x = input([4, 3], 5);
    expect(analyze(m).groups.filter((g) => g.prunable).map((g) => g.id)).toEqual(['d1', 'd2', 'proj']);
    await checkInvariant(m, { d1: [1, 4], d2: [0], proj: [2, 3, 5] }, x);
    await checkInvariant(m, { proj: [0] }, x);
    x.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  test('the custom elementwise weights are sliced exactly; channel-independent weights are kept', () => {
    const m = denseModel();
    setWeight(m.getLayer('s1'), 0, tf.tensor1d([10, 20, 30, 40, 50]));
    setWeight(m.getLayer('s1'), 1, tf.scalar(0.5));
    const pruned = prune(m, { d1: [1, 4] });
    const [scale, offset] = pruned.getLayer('s1').getWeights();
    expect(values(scale)).toEqual([10, 30, 40]);
    expect(offset.shape).toEqual([]);
    expect(values(offset)).toEqual([0.5]);
    pruned.dispose();
    m.dispose();
  });

  test('a custom producer loses its output slices and input rows exactly, and its size field', () => {
    const m = denseModel();
    const proj = m.getLayer('proj');
    // kernel [4, 6] = 0..23 (row-major), bias [6] = 100..105, gain [6, 1] = 200..205.
    setWeight(proj, 0, tf.tensor2d(Array.from({ length: 24 }, (_, i) => i), [4, 6]));
    setWeight(proj, 1, tf.tensor1d([100, 101, 102, 103, 104, 105]));
    setWeight(proj, 2, tf.tensor2d([200, 201, 202, 203, 204, 205], [6, 1]));
    setWeight(m.getLayer('s2'), 0, tf.tensor1d([1, 2, 3, 4, 5, 6]));
    const pruned = prune(m, { d2: [2], proj: [0, 3] });
    const [kernel, bias, gain] = pruned.getLayer('proj').getWeights();
    expect(kernel.shape).toEqual([3, 4]);
    // Rows 0, 1, 3 (input channel 2 removed), columns 1, 2, 4, 5 (outputs 0 and 3 removed).
    expect(values(kernel)).toEqual([1, 2, 4, 5, 7, 8, 10, 11, 19, 20, 22, 23]);
    expect(values(bias)).toEqual([101, 102, 104, 105]);
    expect(gain.shape).toEqual([4, 1]);
    expect(values(gain)).toEqual([201, 202, 204, 205]);
    expect(values(pruned.getLayer('s2').getWeights()[0])).toEqual([2, 3, 5, 6]);
    expect(pruned.getLayer('proj').getConfig().units).toBe(4);
    expect(pruned.getLayer('y').getWeights()[0].shape).toEqual([4, 2]);
    pruned.dispose();
    m.dispose();
  });

  test('prune does not mutate the input model and leaks no tensor', () => {
    const m = denseModel();
    const before = snapshotWeights(m);
    const config = JSON.stringify(m.getConfig());
    const start = tf.memory().numTensors;
    const pruned = prune(m, { d1: [0], proj: [1] });
    expect(tf.memory().numTensors - start).toBe(pruned.weights.length);
    pruned.dispose();
    expect(tf.memory().numTensors).toBe(start);
    expect(snapshotWeights(m)).toEqual(before);
    expect(JSON.stringify(m.getConfig())).toBe(config);
    expect((m.getLayer('proj') as TestProjection).units).toBe(6);
    m.dispose();
  });

  test('criteria score through custom layers: Taylor (gated forward) and weight norms of a custom producer', async () => {
    const m = denseModel();
    const x = input([16, 3], 7);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 2), 'int32'), 2).toFloat();
    const start = tf.memory().numTensors;
    const taylor = await scoreGroups(m, criteria.taylor(), { data: { x, y }, loss: 'categoricalCrossentropy' });
    expect(Object.keys(taylor).sort()).toEqual(['d1', 'd2', 'proj']);
    expect(taylor.proj).toHaveLength(6);
    Object.values(taylor).forEach((s) => Array.from(s).forEach((v) => expect(Number.isFinite(v)).toBe(true)));
    // The L1 norm of a custom producer's channel is its kernel column's (the first declared
    // kernel-like weight), here with L2 normalisation off.
    const l1 = await scoreGroups(m, criteria.l1Norm({ normalize: 'none' }), { groups: ['proj'] });
    const expected = tf.tidy(() => values(m.getLayer('proj').getWeights()[0].abs().sum(0)));
    Array.from(l1.proj).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose([x, y]);
    m.dispose();
  });

  test('createPruner().step() and pruneIteratively run end to end on a model with custom layers', async () => {
    const m = denseModel();
    const x = input([64, 3], 9);
    const y = tf.tidy(() => tf.oneHot(x.sum(1).greater(0).toInt(), 2).toFloat());
    m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const before = snapshotWeights(m);
    const start = tf.memory().numTensors;

    const pruner = createPruner(m, { criterion: criteria.l1Norm(), schedule: { channelsPerStep: 3 } });
    const step = await pruner.step();
    expect(step.model).not.toBeNull();
    const removed = Object.values(step.removedPerGroup).reduce((a, b) => a + b, 0);
    expect(removed).toBe(3);
    expect(step.flops).toBe(countFlops(step.model!).total);
    expect(step.model!.getLayer('proj').getConfig().units).toBe(6 - (step.removedPerGroup.proj ?? 0));
    step.model!.dispose();

    const { model: small, report } = await pruneIteratively(m, { train: { x, y }, validation: { x, y } }, {
      compile: { optimizer: () => tf.train.sgd(0.01), loss: 'categoricalCrossentropy' },
      stop: maxSteps(2),
      schedule: { channelsPerStep: 2 },
      fineTune: { steps: 2, batchSize: 16 },
    });
    expect(report.toJSON().steps).toHaveLength(2);
    expect(countFlops(small).notCounted).toEqual(['s1', 's2']);
    expect(countFlops(small).total).toBeLessThan(countFlops(m).total);
    small.dispose();
    expect(snapshotWeights(m)).toEqual(before);
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose([x, y]);
    m.dispose();
  });
});
