import * as tf from '@tensorflow/tfjs';
import { prune, PruneError } from '../../src';
import { uniformTensor } from '../helpers/uniform-tensor';


/** input 6 -> hidden (6 linear units, unit 5 = unit 0 + unit 1) -> relu -> out 3. */
function redundantModel(): tf.LayersModel {
  const input = tf.input({ shape: [6] });
  const hidden = tf.layers.dense({ units: 6, name: 'hidden' });
  const out = tf.layers.dense({ units: 3, name: 'out', activation: 'relu' });
  const model = tf.model({ inputs: input, outputs: out.apply(hidden.apply(input)) as tf.SymbolicTensor });
  tf.tidy(() => {
    const k = uniformTensor([6, 6], 1).arraySync() as number[][];
    k.forEach((row) => (row[5] = row[0] + row[1]));
    const b = [0.1, -0.2, 0.3, 0, 0.05, -0.1];
    hidden.setWeights([tf.tensor2d(k), tf.tensor1d(b)]);
    out.setWeights([uniformTensor([6, 3], 2), tf.tensor1d([0.2, 0.1, -0.3])]);
  });
  return model;
}

describe('prune(model, removals, { compensate })', () => {
  it('recovers the original outputs exactly when the removed unit is a combination of kept ones', async () => {
    const model = redundantModel();
    const x = uniformTensor([64, 6], 3);
    const before = tf.memory().numTensors;
    const original = model.getWeights().map((w) => w.dataSync().slice());
    const plain = prune(model, { hidden: [5] });
    const fixed = await prune(model, { hidden: [5] }, { compensate: { data: { x }, damping: 1e-9 } });
    const [ref, p, c] = tf.tidy(() => [model.predict(x), plain.predict(x), fixed.predict(x)].map((t) => (t as tf.Tensor).dataSync()));
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
    expect(maxDiff(ref, p)).toBeGreaterThan(0.05); // surgery alone changes the output
    expect(maxDiff(ref, c)).toBeLessThan(1e-4); // the refit puts unit 5's weight on units 0 and 1
    // Hand check of the refit kernel: row i of out's kernel gains row 5's weight for i = 0, 1.
    const k0 = model.getLayer('out').getWeights()[0].arraySync() as number[][];
    const k1 = fixed.getLayer('out').getWeights()[0].arraySync() as number[][];
    for (let o = 0; o < 3; o++) {
      expect(k1[0][o]).toBeCloseTo(k0[0][o] + k0[5][o], 4);
      expect(k1[1][o]).toBeCloseTo(k0[1][o] + k0[5][o], 4);
      expect(k1[2][o]).toBeCloseTo(k0[2][o], 4);
    }
    model.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(original[i])));
    plain.dispose();
    fixed.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  it('refits a conv that lost input channels and outputs, and corrects the BatchNormalization after it', async () => {
    const input = tf.input({ shape: [6, 6, 2] });
    const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c1', activation: 'relu' });
    const c2 = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'c2' });
    const bn = tf.layers.batchNormalization({ name: 'bn' });
    const head = tf.layers.dense({ units: 2, name: 'head' });
    const flat = tf.layers.flatten();
    let t = c1.apply(input) as tf.SymbolicTensor;
    t = bn.apply(c2.apply(t)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: head.apply(flat.apply(t)) as tf.SymbolicTensor });
    const x = uniformTensor([16, 6, 6, 2], 5);
    const before = tf.memory().numTensors;
    const fixed = await prune(model, { c1: [1], c2: [0] }, { compensate: { data: { x }, damping: 0.001 } });
    const plain = prune(model, { c1: [1], c2: [0] });
    const err = (m: tf.LayersModel): number => tf.tidy(() => (m.predict(x) as tf.Tensor).sub(model.predict(x) as tf.Tensor).square().mean().dataSync()[0]);
    expect(err(fixed)).toBeLessThan(err(plain));
    plain.dispose();
    fixed.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  it('refuses bad input before any work, leaking nothing', async () => {
    const model = redundantModel();
    const before = tf.memory().numTensors;
    const bad = tf.zeros([8, 5]);
    await expect(prune(model, { hidden: [5] }, { compensate: { data: { x: bad } } })).rejects.toThrow(PruneError);
    const nan = tf.fill([8, 6], NaN);
    await expect(prune(model, { hidden: [5] }, { compensate: { data: { x: nan } } })).rejects.toMatchObject({ code: 'INVALID_DATA' });
    const few = tf.ones([1, 6]);
    await expect(prune(model, { hidden: [5] }, { compensate: { data: { x: few } } })).rejects.toMatchObject({ code: 'INSUFFICIENT_DATA' });
    await expect(prune(model, { hidden: [5] }, { compensate: { data: { x: few }, dampnig: 1 } as never })).rejects.toThrow(/unknown option/);
    expect(() => prune(model, { hidden: [9] }, { compensate: { data: { x: few } } })).toThrow(/INDEX|indices/);
    tf.dispose([bad, nan, few]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
