import * as tf from '@tensorflow/tfjs';
import { criteria } from '../../src/criteria/criteria';
import { scoreGroups } from '../../src/criteria/score-groups';
import { prune } from '../../src/surgery/prune';
import { perExampleCrossEntropy } from '../helpers/scaled-reference';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { dataFor, smallCnn } from './models';

/**
 * Input [3] -> Dense 'h' (4 units, ReLU) -> Dense 'o' (2, softmax). Unit 3 has bias -100: it never
 * fires (a dead unit). Activations are easy to compute by hand.
 */
function deadUnitModel(): tf.Sequential {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [3], units: 4, activation: 'relu', name: 'h' }),
      tf.layers.dense({ units: 2, activation: 'softmax', name: 'o' }),
    ],
  });
  m.getLayer('h').setWeights([
    tf.tensor2d([
      [1, -1, 0.5, 1],
      [0, 2, -1, 1],
      [-1, 0, 1, 1],
    ]),
    tf.tensor1d([0, 0.5, 0, -100]),
  ]);
  m.getLayer('o').setWeights([tf.tensor2d([[1, -1], [0.5, 0.5], [-1, 2], [3, 3]]), tf.tensor1d([0, 0])]);
  return m;
}

const X = [
  [1, 2, 3],
  [-1, 0, 2],
  [2, -1, 0],
  [0, 1, -1],
  [3, 3, 3],
];

/** ReLU activations of 'h' computed in plain JS. */
function activations(): number[][] {
  const w = [
    [1, -1, 0.5, 1],
    [0, 2, -1, 1],
    [-1, 0, 1, 1],
  ];
  const b = [0, 0.5, 0, -100];
  return X.map((x) => b.map((bias, j) => Math.max(0, bias + x.reduce((s, xi, i) => s + xi * w[i][j], 0))));
}

describe('activation criteria, by hand', () => {
  let model: tf.Sequential;
  let x: tf.Tensor;
  beforeAll(() => {
    model = deadUnitModel();
    x = tf.tensor2d(X);
  });
  afterAll(() => {
    model.dispose();
    x.dispose();
  });

  const column = (j: number): number[] => activations().map((row) => row[j]);
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const std = (v: number[]): number => Math.sqrt(mean(v.map((a) => (a - mean(v)) ** 2)));

  test('meanActivation, activationStd and apoz (labels are not needed)', async () => {
    const before = tf.memory().numTensors;
    const data = { x };
    const m = await scoreGroups(model, criteria.meanActivation({ normalize: 'none' }), { data, batchSize: 2 });
    const s = await scoreGroups(model, criteria.activationStd({ normalize: 'none' }), { data, batchSize: 2 });
    const z = await scoreGroups(model, criteria.apoz({ normalize: 'none' }), { data, batchSize: 2 });
    expect(tf.memory().numTensors).toBe(before);
    for (let j = 0; j < 4; j++) {
      const a = column(j);
      expect(m.h[j]).toBeCloseTo(mean(a), 5);
      expect(s.h[j]).toBeCloseTo(std(a), 5);
      expect(z.h[j]).toBeCloseTo(1 - a.filter((v) => v === 0).length / a.length, 6);
    }
    // The dead unit: always zero, so APoZ = 1 and every activation score is 0 (lowest).
    expect([m.h[3], s.h[3], z.h[3]]).toEqual([0, 0, 0]);
    // Unit 0 (x1 - x3) is zero on 3 of the 5 examples: APoZ 0.6, score 0.4.
    expect(column(0)).toEqual([0, 0, 2, 1, 0]);
    expect(z.h[0]).toBeCloseTo(0.4, 6);
  });
});

describe('criteria.oracle', () => {
  test('a channel nothing reads scores 0; the others score the measured loss change of removing them', async () => {
    const model = smallCnn();
    // Make channel 2 of d1 useless: its outgoing weights are zero.
    const [k, bias] = model.getLayer('out').getWeights();
    const zeroed = tf.tidy(() => k.mul(tf.tensor2d([1, 1, 0, 1, 1], [5, 1])));
    model.getLayer('out').setWeights([zeroed, bias]);
    zeroed.dispose();
    const { x, y } = dataFor([6, 6, 2], 6);
    const before = tf.memory().numTensors;
    const abs = await scoreGroups(model, criteria.oracle(), { data: { x, y }, loss: 'categoricalCrossentropy', batchSize: 4 });
    const signed = await scoreGroups(model, criteria.oracle({ mode: 'loss' }), { data: { x, y }, loss: 'categoricalCrossentropy' });
    expect(tf.memory().numTensors).toBe(before);
    expect(abs.d1[2]).toBe(0);
    expect(Math.min(...abs.c1)).toBeGreaterThan(0);
    // Against real surgery: L(prune(model, channel k)) - L(model).
    const base = perExampleCrossEntropy(model, x, y);
    const meanOf = (v: Float64Array): number => v.reduce((a, b) => a + b, 0) / v.length;
    for (const [id, size] of [['c1', 4], ['d1', 5]] as const) {
      for (let c = 0; c < size; c++) {
        const pruned = prune(model, { [id]: [c] });
        const change = meanOf(perExampleCrossEntropy(pruned, x, y)) - meanOf(base);
        pruned.dispose();
        expect(signed[id][c]).toBeCloseTo(change, 5);
        expect(abs[id][c]).toBeCloseTo(Math.abs(change), 5);
      }
    }
    tf.dispose([x, y]);
    model.dispose();
  });

  test('a dataset gives the same oracle as tensors; evaluate() refuses locked and unknown groups', async () => {
    const model = smallCnn();
    const { x, y } = dataFor([6, 6, 2], 6);
    const xs = tf.split(x, 3);
    const ys = tf.split(y, 3);
    const dataset = tf.data.array(xs.map((t, i) => ({ xs: t, ys: ys[i] })));
    const loss = 'categoricalCrossentropy';
    const before = tf.memory().numTensors;
    const fromTensors = await scoreGroups(model, criteria.oracle(), { data: { x, y }, loss, batchSize: 2 });
    const fromDataset = await scoreGroups(model, criteria.oracle(), { data: dataset, loss });
    fromTensors.c1.forEach((v, i) => expect(fromDataset.c1[i]).toBeCloseTo(v, 6));
    const probe = (removals: Record<string, number[]>) => ({
      name: 'probe',
      needs: ['evaluations' as const],
      score: async (input: import('../../src/criteria/criterion').CriterionInput) => {
        await input.evaluate(removals);
        return {};
      },
    });
    await expectPruneErrorAsync(() => scoreGroups(model, probe({ out: [0] }), { data: { x, y }, loss, groups: [] }), 'GROUP_NOT_PRUNABLE', 'model output');
    await expectPruneErrorAsync(() => scoreGroups(model, probe({ zz: [0] }), { data: { x, y }, loss, groups: [] }), 'UNKNOWN_GROUP', 'c1, d1');
    await expectPruneErrorAsync(() => scoreGroups(model, probe({ c1: [4] }), { data: { x, y }, loss, groups: [] }), 'INDEX_OUT_OF_RANGE', '4 channels');
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y, ...xs, ...ys]);
    model.dispose();
  });
});
