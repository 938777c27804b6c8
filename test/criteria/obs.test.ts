import * as tf from '@tensorflow/tfjs';
import { criteria, scoreGroups } from '../../src';
import { expectPruneError } from '../helpers/expect-prune-error';
import { uniformTensor } from '../helpers/uniform-tensor';

jest.setTimeout(60000);


describe('criteria.obs', () => {
  test('of three linearly dependent Dense units (one with the largest weights), one scores ~0', async () => {
    const input = tf.input({ shape: [6] });
    const hidden = tf.layers.dense({ units: 6, name: 'hidden' });
    const out = tf.layers.dense({ units: 3, name: 'out' });
    const model = tf.model({ inputs: input, outputs: out.apply(hidden.apply(input)) as tf.SymbolicTensor });
    tf.tidy(() => {
      const k = uniformTensor([6, 6], 1).arraySync() as number[][];
      k.forEach((row) => (row[5] = 3 * (row[0] - row[1]))); // unit 5 = 3 (u0 - u1): large, redundant
      hidden.setWeights([tf.tensor2d(k), tf.tensor1d([0.1, -0.2, 0.3, 0, 0.05, 0.9])]);
      out.setWeights([uniformTensor([6, 3], 2), tf.tensor1d([0.2, 0.1, -0.3])]);
    });
    const x = uniformTensor([256, 6], 3);
    const before = tf.memory().numTensors;
    const scores = await scoreGroups(model, criteria.obs({ damping: 1e-9 }), { data: { x } });
    const s = Array.from(scores.hidden);
    // Units 0, 1 and 5 are linearly dependent: one of them (any) goes first at no cost, and then
    // the other two are needed. Units 2, 3 and 4 cost something.
    const cheapest = s.indexOf(Math.min(...s));
    expect([0, 1, 5]).toContain(cheapest);
    expect(s[cheapest]).toBeLessThan(1e-6);
    expect(s.filter((v) => v < 1e-3)).toHaveLength(1);
    // By L1 norm, unit 5 would be the last to go.
    const l1 = await scoreGroups(model, criteria.l1Norm());
    expect(Array.from(l1.hidden).indexOf(Math.max(...Array.from(l1.hidden)))).toBe(5);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  test('a conv filter that duplicates another (through ReLU and pooling) is the first to go; labels are not needed', async () => {
    const input = tf.input({ shape: [8, 8, 2] });
    const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c1' });
    const relu = tf.layers.reLU({ name: 'relu' });
    const pool = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' });
    const c2 = tf.layers.conv2d({ filters: 3, kernelSize: 3, name: 'c2' });
    const flat = tf.layers.flatten({ name: 'flat' });
    const head = tf.layers.dense({ units: 2, name: 'head' });
    const model = tf.model({ inputs: input, outputs: head.apply(flat.apply(c2.apply(pool.apply(relu.apply(c1.apply(input)))))) as tf.SymbolicTensor });
    tf.tidy(() => {
      const k = uniformTensor([3, 3, 2, 4], 4).arraySync() as number[][][][];
      k.forEach((a) => a.forEach((b) => b.forEach((c) => (c[3] = c[1])))); // filter 3 = filter 1
      c1.setWeights([tf.tensor4d(k), tf.tensor1d([0.1, 0.2, -0.1, 0.2])]);
    });
    const x = uniformTensor([64, 8, 8, 2], 5);
    const scores = await scoreGroups(model, criteria.obs({ damping: 1e-9 }), { data: { x } });
    const s = Array.from(scores.c1);
    // Removing either copy costs nothing once c2 reads the other one twice as strongly.
    expect(Math.min(s[1], s[3])).toBeLessThan(1e-6);
    expect(Math.min(s[0], s[2])).toBeGreaterThan(1e-3);
    // The Dense after Flatten is a consumer too (its 2x2 positions of each c2 filter form one block).
    expect(Array.from(scores.c2).every((v) => v > 0)).toBe(true);
    x.dispose();
    model.dispose();
  });

  test('bad options are refused', () => {
    expectPruneError(() => criteria.obs({ damping: -1 }), 'INVALID_OPTION', 'damping');
    expectPruneError(() => criteria.obs({ reduce: 'max' } as never), 'INVALID_OPTION', 'unknown option');
  });
});
