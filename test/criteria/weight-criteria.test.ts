import * as tf from '@tensorflow/tfjs';
import { criteria } from '../../src/criteria/criteria';
import { scoreGroups } from '../../src/criteria/score-groups';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { snapshotWeights } from '../helpers/check-invariant';

type Sym = tf.SymbolicTensor;

/** Dense 2 -> 3 -> 2 with hand-set weights: kernel columns are the channels of group 'h'. */
function denseModel(): tf.Sequential {
  const m = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [2], units: 3, name: 'h' }), tf.layers.dense({ units: 2, name: 'o' })],
  });
  // h kernel [2, 3]: channel 0 = (1, -2), channel 1 = (3, 4), channel 2 = (0, -1); bias ignored by norms.
  m.getLayer('h').setWeights([tf.tensor2d([[1, 3, 0], [-2, 4, -1]]), tf.tensor1d([10, 10, 10])]);
  return m;
}

/**
 * Two convs tied by an Add (group 'a' has producers a and b), each followed by its own BN, plus a
 * Dense head: scores of the group are reduced over a and b.
 */
function addModel(): tf.LayersModel {
  const x = tf.input({ shape: [3, 3, 1] });
  const a = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'a', useBias: false }).apply(x) as Sym;
  const b = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'b', useBias: false }).apply(x) as Sym;
  const bnA = tf.layers.batchNormalization({ name: 'bnA' }).apply(a) as Sym;
  const bnB = tf.layers.batchNormalization({ name: 'bnB' }).apply(b) as Sym;
  const s = tf.layers.add({ name: 'add' }).apply([bnA, bnB]) as Sym;
  const y = tf.layers.dense({ units: 1, name: 'out' }).apply(tf.layers.flatten().apply(s) as Sym) as Sym;
  const m = tf.model({ inputs: x, outputs: y });
  m.getLayer('a').setWeights([tf.tensor4d([3, -4], [1, 1, 1, 2])]); // |a0| = 3, |a1| = 4
  m.getLayer('b').setWeights([tf.tensor4d([1, 8], [1, 1, 1, 2])]); //  |b0| = 1, |b1| = 8
  const bn = (gamma: number[]) => [tf.tensor1d(gamma), tf.zeros([2]), tf.zeros([2]), tf.ones([2])];
  m.getLayer('bnA').setWeights(bn([-0.5, 2]));
  m.getLayer('bnB').setWeights(bn([1.5, 1]));
  return m;
}

const values = (a: Float32Array): number[] => Array.from(a, (v) => +v.toFixed(5));

describe('weight-based criteria, by hand', () => {
  let dense: tf.Sequential;
  let add: tf.LayersModel;
  beforeAll(() => {
    dense = denseModel();
    add = addModel();
  });
  afterAll(() => {
    dense.dispose();
    add.dispose();
  });

  test.each([
    ['l1Norm', criteria.l1Norm({ normalize: 'none' }), [3, 7, 1]],
    ['l2Norm', criteria.l2Norm({ normalize: 'none' }), [Math.sqrt(5), 5, 1]],
    ['minWeight', criteria.minWeight({ normalize: 'none' }), [2.5, 12.5, 0.5]],
    // Distances: |c0-c1| = sqrt(4+36) = 6.3246, |c0-c2| = sqrt(1+1) = 1.4142, |c1-c2| = sqrt(9+25) = 5.8310.
    ['fpgm', criteria.fpgm({ normalize: 'none' }), [6.3246 + 1.4142, 6.3246 + 5.831, 1.4142 + 5.831]],
  ])('%s of a Dense layer', async (_name, criterion, expected) => {
    const before = tf.memory().numTensors;
    const weights = snapshotWeights(dense);
    const scores = await scoreGroups(dense, criterion);
    expect(Object.keys(scores)).toEqual(['h']);
    scores.h.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 3));
    expect(tf.memory().numTensors).toBe(before);
    expect(snapshotWeights(dense)).toEqual(weights);
  });

  test('an Add-coupled group reduces over its producers: mean by default, sum, max, min', async () => {
    const l1 = (reduce: 'mean' | 'sum' | 'max' | 'min') => scoreGroups(add, criteria.l1Norm({ reduce, normalize: 'none' }));
    expect(values((await l1('mean')).a)).toEqual([2, 6]);
    expect(values((await l1('sum')).a)).toEqual([4, 12]);
    expect(values((await l1('max')).a)).toEqual([3, 8]);
    expect(values((await l1('min')).a)).toEqual([1, 4]);
  });

  test('bnScale: |gamma| of every BN of the group, reduced', async () => {
    expect(values((await scoreGroups(add, criteria.bnScale({ normalize: 'none' }))).a)).toEqual([1, 1.5]);
    expect(values((await scoreGroups(add, criteria.bnScale({ normalize: 'none', reduce: 'max' }))).a)).toEqual([1.5, 2]);
  });

  test('bnScale refuses groups without BN unless given a fallback', async () => {
    await expectPruneErrorAsync(() => scoreGroups(dense, criteria.bnScale()), 'NOT_APPLICABLE', "group(s) h", 'fallback');
    const scores = await scoreGroups(dense, criteria.bnScale({ fallback: criteria.l1Norm(), normalize: 'none' }));
    expect(values(scores.h)).toEqual([3, 7, 1]);
  });

  test('normalisation per group: l2 (default), max, none', async () => {
    const l2 = await scoreGroups(dense, criteria.l1Norm());
    const n = Math.sqrt(9 + 49 + 1);
    expect(values(l2.h)).toEqual([3 / n, 7 / n, 1 / n].map((v) => +v.toFixed(5)));
    const max = await scoreGroups(dense, criteria.l1Norm({ normalize: 'max' }));
    expect(values(max.h)).toEqual([+(3 / 7).toFixed(5), 1, +(1 / 7).toFixed(5)]);
  });

  test('a FLOPs penalty subtracts lambda x the share of MACs one channel saves, after normalisation', async () => {
    // MACs: h = 2*3 = 6, o = 3*2 = 6, total 12. One channel of h saves 2 (in h) + 2 (in o) = 4: share 1/3.
    const plain = await scoreGroups(dense, criteria.l1Norm({ normalize: 'max' }));
    const penalised = await scoreGroups(dense, criteria.l1Norm({ normalize: 'max', flopsPenalty: 0.3 }));
    penalised.h.forEach((v, i) => expect(v).toBeCloseTo(plain.h[i] - 0.3 / 3, 5));
  });

  test('the FLOPs share counts pass-through layers and the Flatten fan-out', async () => {
    // conv 1x1 (1 -> 2) on 3x3: 18 MACs; BN: 2 x 9 = 18 each; Dense after flatten: 18 -> 1: 18 MACs.
    // Total 18 + 18 + 18 + 18 + 18 = 90. One channel of 'a': a 9 + b 9 + bnA 9 + bnB 9 + out 9 = 45: share 0.5.
    const plain = await scoreGroups(add, criteria.l1Norm({ normalize: 'none' }));
    const penalised = await scoreGroups(add, criteria.l1Norm({ normalize: 'none', flopsPenalty: 2 }));
    penalised.a.forEach((v, i) => expect(v).toBeCloseTo(plain.a[i] - 2 * 0.5, 5));
  });

  test('scores only the groups asked for', async () => {
    const scores = await scoreGroups(add, criteria.l2Norm(), { groups: ['a'] });
    expect(Object.keys(scores)).toEqual(['a']);
  });
});
