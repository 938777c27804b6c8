import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../src/graph/analyze';
import { criteria } from '../../src/criteria/criteria';
import { scoreGroups } from '../../src/criteria/score-groups';
import { perExampleCrossEntropy, scaledReference } from '../helpers/scaled-reference';
import { dataFor, residualModel, smallCnn } from './models';

const EPS = 1e-2;

/**
 * Molchanov's Taylor term by finite differences on weight-edited copies of the model, independent
 * of the gate code: mean over examples of |dC_n/d(scale of channel k at every consumer)| / M.
 */
async function finiteDifferenceTaylor(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, groupId: string, size: number, positions: number): Promise<number[]> {
  const out: number[] = [];
  for (let k = 0; k < size; k++) {
    const up = await scaledReference(model, groupId, [k], 1 + EPS);
    const down = await scaledReference(model, groupId, [k], 1 - EPS);
    const lu = perExampleCrossEntropy(up, x, y);
    const ld = perExampleCrossEntropy(down, x, y);
    up.dispose();
    down.dispose();
    let sum = 0;
    lu.forEach((v, n) => (sum += Math.abs((v - ld[n]) / (2 * EPS))));
    out.push(sum / lu.length / positions);
  }
  return out;
}

function expectCloseArray(actual: ArrayLike<number>, expected: number[], rtol: number): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(...expected.map(Math.abs));
  expected.forEach((e, i) => expect(Math.abs(actual[i] - e)).toBeLessThanOrEqual(rtol * scale + 1e-7));
}

describe('criteria.taylor', () => {
  test('equals a finite-difference estimate of each channel\'s loss change (per example, |.|, / M, averaged)', async () => {
    const model = smallCnn();
    const { x, y } = dataFor([6, 6, 2], 6);
    const before = tf.memory().numTensors;
    // batchSize 4: two batches (4 + 2 examples), to check the accumulation over batches.
    const scores = await scoreGroups(model, criteria.taylor({ normalize: 'none' }), { data: { x, y }, loss: 'categoricalCrossentropy', batchSize: 4 });
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(scores)).toEqual(['c1', 'd1']);
    // c1 is read by d1 through maxpool + flatten: M = 3 x 3 positions; d1 is read by out: M = 1.
    expectCloseArray(scores.c1, await finiteDifferenceTaylor(model, x, y, 'c1', 4, 9), 0.02);
    expectCloseArray(scores.d1, await finiteDifferenceTaylor(model, x, y, 'd1', 5, 1), 0.02);
    expect(Math.min(...scores.c1)).toBeGreaterThan(0);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('an Add-coupled group gets one gate shared by all its consumers (conv b and the Dense)', async () => {
    const model = residualModel();
    expect(analyze(model).groups.find((g) => g.id === 'a')!.members.filter((m) => m.role === 'producer').map((m) => m.layer)).toEqual(['a', 'b']);
    const { x, y } = dataFor([4, 4, 2], 5);
    const scores = await scoreGroups(model, criteria.taylor({ normalize: 'none' }), { data: { x, y }, loss: 'categoricalCrossentropy' });
    // Read at b's input (16 positions) and at the Dense's flattened input (16 positions): M = 32.
    expectCloseArray(scores.a, await finiteDifferenceTaylor(model, x, y, 'a', 4, 32), 0.02);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('the batch size changes memory, not the scores; a tf.data.Dataset gives the same scores', async () => {
    const model = smallCnn();
    const { x, y } = dataFor([6, 6, 2], 8);
    const taylor = criteria.taylor({ normalize: 'none' });
    const whole = await scoreGroups(model, taylor, { data: { x, y }, loss: 'categoricalCrossentropy', batchSize: 8 });
    const ones = await scoreGroups(model, taylor, { data: { x, y }, loss: 'categoricalCrossentropy', batchSize: 1 });
    const xs = tf.split(x, 2);
    const ys = tf.split(y, 2);
    const dataset = tf.data.array(xs.map((t, i) => ({ xs: t, ys: ys[i] })));
    const before = tf.memory().numTensors;
    const fromDataset = await scoreGroups(model, taylor, { data: dataset, loss: 'categoricalCrossentropy' });
    expect(tf.memory().numTensors).toBe(before);
    for (const id of ['c1', 'd1']) {
      expectCloseArray(ones[id], Array.from(whole[id]), 1e-4);
      expectCloseArray(fromDataset[id], Array.from(whole[id]), 1e-4);
    }
    tf.dispose([x, y, ...xs, ...ys]);
    model.dispose();
  });

  test('runs in inference mode: Dropout is off and BatchNormalization uses its moving statistics', async () => {
    const plain = smallCnn();
    const withDropout = tf.sequential({ layers: [...plain.layers.slice(0, 5).map((l) => l), tf.layers.dropout({ rate: 0.5, name: 'drop' }), plain.layers[5]] });
    const { x, y } = dataFor([6, 6, 2], 6);
    const taylor = criteria.taylor({ normalize: 'none' });
    const a = await scoreGroups(withDropout, taylor, { data: { x, y }, loss: 'categoricalCrossentropy' });
    const b = await scoreGroups(withDropout, taylor, { data: { x, y }, loss: 'categoricalCrossentropy' });
    const c = await scoreGroups(plain, taylor, { data: { x, y }, loss: 'categoricalCrossentropy' });
    expect(Array.from(a.d1)).toEqual(Array.from(b.d1));
    expectCloseArray(a.d1, Array.from(c.d1), 1e-6);
    expectCloseArray(a.c1, Array.from(c.c1), 1e-6);
    // The moving statistics are still the initial ones (inference mode does not update them).
    expect(Array.from(plain.getLayer('bn1').getWeights()[2].dataSync())).toEqual([0, 0, 0, 0]);
    tf.dispose([x, y]);
    plain.dispose();
  });

  test('uses the compiled loss when no loss is given; normalises by L2 per group by default', async () => {
    const model = smallCnn();
    const { x, y } = dataFor([6, 6, 2], 4);
    const explicit = await scoreGroups(model, criteria.taylor(), { data: { x, y }, loss: 'categoricalCrossentropy' });
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const compiled = await scoreGroups(model, criteria.taylor(), { data: { x, y } });
    expectCloseArray(compiled.c1, Array.from(explicit.c1), 1e-6);
    // Default normalisation is L2 per group.
    expect(Math.hypot(...compiled.c1)).toBeCloseTo(1, 5);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('criteria.taylorWeight', () => {
  test('equals (sum over the filter and bias of w * dL/dw)^2 of the mean batch loss, averaged over batches', async () => {
    const model = smallCnn();
    const { x, y } = dataFor([6, 6, 2], 6);
    const scores = await scoreGroups(model, criteria.taylorWeight({ normalize: 'none' }), { data: { x, y }, loss: 'categoricalCrossentropy', batchSize: 3 });
    // Reference with tf.variableGrads on the model's own variables, batch by batch.
    const expected = { c1: new Float64Array(4), d1: new Float64Array(5) };
    for (const start of [0, 3]) {
      const xb = x.slice(start, 3);
      const yb = y.slice(start, 3);
      const layers = { c1: model.getLayer('c1'), d1: model.getLayer('d1') };
      const vars = [...layers.c1.weights, ...layers.d1.weights].map((w) => w.read() as tf.Variable);
      const { grads } = tf.variableGrads(() => {
        const p = (model.predict(xb) as tf.Tensor).clipByValue(1e-7, 1 - 1e-7);
        return yb.mul(p.log()).sum(-1).neg().mean() as tf.Scalar;
      }, vars);
      for (const [id, layer] of Object.entries(layers)) {
        const sums = new Float64Array(id === 'c1' ? 4 : 5);
        for (const w of layer.weights) {
          const v = w.read();
          const prod = tf.tidy(() => {
            const p = grads[(v as tf.Variable).name].mul(v);
            return p.reshape([-1, sums.length]).sum(0).dataSync();
          });
          prod.forEach((s, c) => (sums[c] += s));
        }
        sums.forEach((s, c) => (expected[id as 'c1' | 'd1'][c] += (s * s) / 2));
      }
      tf.dispose([xb, yb, ...Object.values(grads)]);
    }
    expectCloseArray(scores.c1, Array.from(expected.c1), 1e-3);
    expectCloseArray(scores.d1, Array.from(expected.d1), 1e-3);
    tf.dispose([x, y]);
    model.dispose();
  });
});
