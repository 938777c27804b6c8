import * as tf from '@tensorflow/tfjs';
import { linearView, linearViewUnsupported } from '../../src/compensation/linear-view';
import { NormalEquations } from '../../src/compensation/normal-equations';
import { ridgeRefit } from '../../src/compensation/ridge-refit';
import { cholesky, choleskyInverse, choleskySolve } from '../../src/compensation/cholesky';
import { layerConfig } from '../../src/model/layer-config';
import { seededRandom } from '../../src/util/seeded-random';
import { uniformTensor } from '../helpers/uniform-tensor';

/** Pre-activation output of `layer` on `x`, by applying it with its activation switched to linear. */
function preActivation(layer: tf.layers.Layer, x: tf.Tensor): tf.Tensor {
  const cfg = { ...layer.getConfig(), ...layerConfig(layer), activation: 'linear', name: `${layer.name}_linear` };
  const Cls = tf.serialization.SerializationMap.getMap().classNameMap[layer.getClassName()][0] as unknown as new (c: object) => tf.layers.Layer;
  const copy = new Cls(cfg);
  copy.build(x.shape);
  copy.setWeights(layer.getWeights());
  const y = copy.apply(x) as tf.Tensor;
  (copy as unknown as { disposeWeights(): number }).disposeWeights();
  return y;
}


describe('linearView: design rows times the reshaped kernel equal the layer', () => {
  const cases: Array<[string, () => tf.layers.Layer, number[]]> = [
    ['Dense', () => tf.layers.dense({ units: 3, activation: 'relu' }), [4, 5]],
    ['Dense on rank 3', () => tf.layers.dense({ units: 2 }), [2, 3, 4]],
    ['Conv1D same stride 2', () => tf.layers.conv1d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }), [2, 7, 4]],
    ['Conv2D valid', () => tf.layers.conv2d({ filters: 4, kernelSize: [3, 2], padding: 'valid' }), [2, 6, 5, 3]],
    ['Conv2D same stride 2', () => tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }), [2, 7, 6, 3]],
    ['Conv2D dilated', () => tf.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2, padding: 'same' }), [1, 8, 8, 2]],
    ['Conv3D', () => tf.layers.conv3d({ filters: 2, kernelSize: 2, padding: 'valid' }), [1, 4, 4, 4, 2]],
    ['SeparableConv2D', () => tf.layers.separableConv2d({ filters: 3, kernelSize: 3, depthMultiplier: 2, padding: 'same' }), [2, 5, 5, 3]],
    ['Conv2DTranspose valid stride 1', () => tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, padding: 'valid' }), [2, 4, 5, 2]],
    ['Conv2DTranspose same stride 2', () => tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }), [2, 4, 3, 2]],
    ['Conv2DTranspose valid stride 2, kernel 2x3', () => tf.layers.conv2dTranspose({ filters: 2, kernelSize: [2, 3], strides: 2, padding: 'valid' }), [1, 3, 4, 3]],
    ['Conv2DTranspose same stride 2, kernel 4', () => tf.layers.conv2dTranspose({ filters: 2, kernelSize: 4, strides: 2, padding: 'same' }), [1, 3, 3, 2]],
    ['Conv2DTranspose valid stride 3, kernel 2', () => tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: 'valid' }), [1, 3, 2, 2]],
  ];
  it.each(cases)('%s', (_, make, shape) => {
    const before = tf.memory().numTensors;
    const layer = make();
    const x = uniformTensor(shape, 1);
    layer.build(x.shape);
    // Non-zero biases so the bias column is exercised.
    const weights = layer.getWeights();
    const view = linearView(layer);
    if (view.biasIndex >= 0) {
      const b = weights[view.biasIndex];
      weights[view.biasIndex] = uniformTensor(b.shape, 2);
      layer.setWeights(weights);
      weights[view.biasIndex].dispose();
    }
    tf.tidy(() => {
      const want = preActivation(layer, x);
      const w = layer.getWeights();
      const kernel = w[view.kernelIndex];
      const k2 = view.matrix(kernel);
      // kernel() inverts matrix().
      const back = view.kernel(k2.dataSync() as Float32Array, kernel.shape);
      expect(back.shape).toEqual(kernel.shape);
      expect(back.sub(kernel).abs().max().dataSync()[0]).toBe(0);
      const width = shape[shape.length - 1];
      expect(k2.shape[0]).toBe(view.columns(width));
      const rows = view.design(x, null);
      let got = tf.matMul(rows, k2);
      if (view.biasIndex >= 0) got = got.add(w[view.biasIndex]);
      expect(view.positions(shape) * shape[0]).toBe(rows.shape[0]);
      const diff = got.sub(want.reshape(got.shape)).abs().max().dataSync()[0];
      expect(diff).toBeLessThan(1e-5);
      // Picked positions are the same rows of the full design.
      if (view.positions(shape) > 1) {
        const pick = Int32Array.from([view.positions(shape) - 1, 0]);
        const picked = view.design(x, pick);
        const full = rows.reshape([shape[0], view.positions(shape), -1]);
        const expected = tf.gather(full, tf.tensor1d(pick, 'int32'), 1).reshape(picked.shape);
        expect(picked.sub(expected).abs().max().dataSync()[0]).toBe(0);
      }
    });
    x.dispose();
    (layer as unknown as { disposeWeights(): number }).disposeWeights();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names what it cannot refit', () => {
    expect(linearViewUnsupported(tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2 }))).toBeNull();
    expect(linearViewUnsupported(tf.layers.depthwiseConv2d({ kernelSize: 2 }))).toMatch(/DepthwiseConv2D has no closed-form refit/);
    expect(linearViewUnsupported(tf.layers.conv1d({ filters: 2, kernelSize: 2, padding: 'causal' }))).toMatch(/causal/);
    expect(linearViewUnsupported(tf.layers.dense({ units: 2 }))).toBeNull();
  });
});

describe('cholesky and ridgeRefit', () => {
  it('solves and inverts a hand-made SPD system', () => {
    const a = Float64Array.from([4, 2, 0, 2, 5, 1, 0, 1, 3]);
    const l = cholesky(a, 3)!;
    expect(Array.from(l)).toEqual([2, 0, 0, 1, 2, 0, 0, 0.5, Math.sqrt(3 - 0.25)]);
    const x = choleskySolve(l, 3, Float64Array.from([1, 2, 3]), 1);
    // A x = b checked by multiplication.
    for (let i = 0; i < 3; i++) expect(a[i * 3] * x[0] + a[i * 3 + 1] * x[1] + a[i * 3 + 2] * x[2]).toBeCloseTo(i + 1, 12);
    const inv = choleskyInverse(l, 3);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += a[i * 3 + k] * inv[k * 3 + j];
      expect(s).toBeCloseTo(i === j ? 1 : 0, 12);
    }
    expect(cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toBeNull();
  });

  it('recovers exact weights and bias from noiseless data, and damping pulls toward W0', () => {
    const before = tf.memory().numTensors;
    const r = seededRandom(3);
    const rows = 50;
    const xs = Float32Array.from({ length: rows * 3 }, () => r() * 2 - 1);
    const wTrue = [0.5, -1, 2, 1.5, 0.25, -0.75]; // 3 x 2
    const bTrue = [0.1, -0.2];
    const ys = new Float32Array(rows * 2);
    for (let i = 0; i < rows; i++) for (let o = 0; o < 2; o++) {
      let s = bTrue[o];
      for (let c = 0; c < 3; c++) s += xs[i * 3 + c] * wTrue[c * 2 + o];
      ys[i * 2 + o] = s;
    }
    const eq = new NormalEquations(3, 2, true);
    const x = tf.tensor2d(xs, [rows, 3]);
    const y = tf.tensor2d(ys, [rows, 2]);
    tf.tidy(() => {
      eq.add(x.slice(0, 20), y.slice(0, 20));
      eq.add(x.slice(20), y.slice(20));
    });
    tf.dispose([x, y]);
    expect(eq.rows).toBe(rows);
    const w0 = new Float64Array(8);
    const exact = ridgeRefit(eq, w0, 0)!;
    [...wTrue, ...bTrue].forEach((v, i) => expect(exact.w[i]).toBeCloseTo(v, 4));
    expect(eq.squaredError(exact.w) / eq.totalVariation()).toBeLessThan(1e-8);
    // Heavy damping keeps the kernel near W0 (= 0) while the undamped bias absorbs the mean.
    const damped = ridgeRefit(eq, w0, 1e6)!;
    for (let i = 0; i < 6; i++) expect(Math.abs(damped.w[i])).toBeLessThan(1e-3);
    expect(damped.w[6]).toBeCloseTo(eq.ySum[0] / rows, 3);
    expect(tf.memory().numTensors).toBe(before);
  });
});
