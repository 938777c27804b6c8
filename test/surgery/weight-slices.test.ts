import * as tf from '@tensorflow/tfjs';
import { prune } from '../../src/surgery/prune';
import { arange, input, setArangeWeights } from '../helpers/arange';
import { checkInvariant } from '../helpers/check-invariant';

const seq = (layers: tf.layers.Layer[]): tf.Sequential => tf.sequential({ layers });
const weightsOf = (m: tf.LayersModel, layer: string): number[][] =>
  m.getLayer(layer).getWeights().map((w) => Array.from(w.dataSync()));
const shapesOf = (m: tf.LayersModel, layer: string): number[][] => m.getLayer(layer).getWeights().map((w) => w.shape);

describe('weight slices, checked by hand', () => {
  test('Dense: kernel columns and bias of the producer, kernel rows of the consumer', async () => {
    const m = seq([
      tf.layers.dense({ inputShape: [2], units: 3, name: 'd1' }),
      tf.layers.dense({ units: 2, name: 'd2' }),
    ]);
    setArangeWeights(m.getLayer('d1')); // kernel [[0,1,2],[3,4,5]], bias [6,7,8]
    setArangeWeights(m.getLayer('d2')); // kernel [[0,1],[2,3],[4,5]], bias [6,7]
    const p = prune(m, { d1: [1] });
    expect(shapesOf(p, 'd1')).toEqual([[2, 2], [2]]);
    expect(weightsOf(p, 'd1')).toEqual([[0, 2, 3, 5], [6, 8]]);
    expect(weightsOf(p, 'd2')).toEqual([[0, 1, 4, 5], [6, 7]]);
    expect((p.getLayer('d1').getConfig() as { units: number }).units).toBe(2);
    p.dispose();
    await checkInvariant(m, { d1: [1] }, input([3, 2]));
  });

  test('Conv2D: producer kernel axis 3 and bias, consumer kernel axis 2', async () => {
    const m = seq([
      tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 3, kernelSize: 1, name: 'c1' }),
      tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c2' }),
    ]);
    setArangeWeights(m.getLayer('c1')); // kernel [1,1,1,3] = [0,1,2], bias [3,4,5]
    setArangeWeights(m.getLayer('c2')); // kernel [1,1,3,2] = [[0,1],[2,3],[4,5]], bias [6,7]
    const p = prune(m, { c1: [0, 2] });
    expect(shapesOf(p, 'c1')).toEqual([[1, 1, 1, 1], [1]]);
    expect(weightsOf(p, 'c1')).toEqual([[1], [4]]);
    expect(shapesOf(p, 'c2')).toEqual([[1, 1, 1, 2], [2]]);
    expect(weightsOf(p, 'c2')).toEqual([[2, 3], [6, 7]]);
    p.dispose();
    // Inner layer's output group reaches the model output: only c1 is prunable.
    await checkInvariant(m, { c1: [0, 2] }, input([2, 4, 4, 1]));
  });

  test('Conv2D 3x3 without bias and with an activation inside', async () => {
    const m = seq([
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, useBias: false, activation: 'relu', name: 'c1' }),
      tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'elu', name: 'c2' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2 }),
    ]);
    const k = arange([3, 3, 2, 4]);
    m.getLayer('c1').setWeights([k]);
    const p = prune(m, { c1: [1, 2], c2: [0] });
    // c1 keeps filters 0 and 3: kernel[..., [0, 3]].
    const expected = tf.gather(k, [0, 3], 3);
    expect(Array.from(p.getLayer('c1').getWeights()[0].dataSync())).toEqual(Array.from(expected.dataSync()));
    expect(shapesOf(p, 'c2')).toEqual([[3, 3, 2, 2], [2]]);
    tf.dispose([k, expected]);
    p.dispose();
    await checkInvariant(m, { c1: [1, 2], c2: [0] }, input([2, 6, 6, 2]));
  });

  test('Conv1D: kernel [k, in, out]', async () => {
    const m = seq([
      tf.layers.conv1d({ inputShape: [5, 2], filters: 3, kernelSize: 2, name: 'c1' }),
      tf.layers.conv1d({ filters: 2, kernelSize: 2, name: 'c2' }),
      tf.layers.globalAveragePooling1d(),
      tf.layers.dense({ units: 1 }),
    ]);
    setArangeWeights(m.getLayer('c1')); // kernel [2,2,3]: row-major 0..11, bias 12..14
    const p = prune(m, { c1: [1] });
    expect(weightsOf(p, 'c1')).toEqual([[0, 2, 3, 5, 6, 8, 9, 11], [12, 14]]);
    expect(shapesOf(p, 'c2')[0]).toEqual([2, 2, 2]);
    p.dispose();
    await checkInvariant(m, { c1: [1], c2: [0] }, input([2, 5, 2]));
  });

  test("Conv2DTranspose: kernel [kh, kw, out, in] sliced on axis 2 as producer and axis 3 as consumer", async () => {
    const m = seq([
      tf.layers.conv2dTranspose({ inputShape: [3, 3, 2], filters: 3, kernelSize: 1, name: 't1' }),
      tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2, name: 't2' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 1 }),
    ]);
    setArangeWeights(m.getLayer('t1')); // kernel [1,1,3,2] = [[0,1],[2,3],[4,5]] (out x in), bias [6,7,8]
    setArangeWeights(m.getLayer('t2')); // kernel [2,2,2,3]
    const p = prune(m, { t1: [1] });
    expect(weightsOf(p, 't1')).toEqual([[0, 1, 4, 5], [6, 8]]);
    // t2 consumer: kernel[..., [0, 2]] on axis 3 (its input channels).
    const k2 = arange([2, 2, 2, 3]);
    const e2 = tf.gather(k2, [0, 2], 3);
    expect(weightsOf(p, 't2')[0]).toEqual(Array.from(e2.dataSync()));
    tf.dispose([k2, e2]);
    p.dispose();
    await checkInvariant(m, { t1: [1], t2: [0] }, input([2, 3, 3, 2]));
  });

  test('SeparableConv2D: depthwise axis 2, pointwise rows c*m..c*m+m-1 and columns, bias', async () => {
    const m = seq([
      tf.layers.conv2d({ inputShape: [5, 5, 1], filters: 3, kernelSize: 1, name: 'c1' }),
      tf.layers.separableConv2d({ filters: 4, kernelSize: 1, depthMultiplier: 2, name: 's1' }),
      tf.layers.globalMaxPooling2d({}),
      tf.layers.dense({ units: 2 }),
    ]);
    setArangeWeights(m.getLayer('s1')); // depthwise [1,1,3,2] = 0..5, pointwise [1,1,6,4] = 6..29, bias 30..33
    const p = prune(m, { c1: [1], s1: [0, 3] });
    const [dw, pw, b] = weightsOf(p, 's1');
    // Input channel 1 removed: depthwise keeps channels 0 and 2 -> [0,1, 4,5].
    expect(dw).toEqual([0, 1, 4, 5]);
    // Pointwise rows kept: 0,1 (channel 0) and 4,5 (channel 2); columns kept 1, 2.
    const rows = [0, 1, 4, 5];
    expect(pw).toEqual(rows.flatMap((r) => [6 + r * 4 + 1, 6 + r * 4 + 2]));
    expect(b).toEqual([31, 32]);
    p.dispose();
    // TF.js 4.x's SeparableConv2D.getConfig() omits depthMultiplier, so no model with m > 1 (pruned
    // or not) survives toJSON/save in TF.js; prune() restores it from the live layer.
    await checkInvariant(m, { c1: [1], s1: [0, 3] }, input([2, 5, 5, 1]), 1e-5, { roundTrip: false });
  });

  test('DepthwiseConv2D with multiplier 3 passes channel c to c*3..c*3+2', async () => {
    const m = seq([
      tf.layers.conv2d({ inputShape: [5, 5, 1], filters: 2, kernelSize: 1, name: 'c1' }),
      tf.layers.depthwiseConv2d({ kernelSize: 1, depthMultiplier: 3, name: 'dw' }),
      tf.layers.conv2d({ filters: 1, kernelSize: 1, name: 'c2' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 1 }),
    ]);
    setArangeWeights(m.getLayer('dw')); // depthwise [1,1,2,3] = 0..5, bias [6..11]
    setArangeWeights(m.getLayer('c2')); // kernel [1,1,6,1] = 0..5, bias 6
    const p = prune(m, { c1: [0] });
    expect(weightsOf(p, 'dw')).toEqual([[3, 4, 5], [9, 10, 11]]);
    expect(weightsOf(p, 'c2')).toEqual([[3, 4, 5], [6]]);
    p.dispose();
    await checkInvariant(m, { c1: [0] }, input([2, 5, 5, 1]));
  });

  test.each([
    [true, true, [[10, 12], [20, 22], [30, 32], [40, 42]]],
    [false, true, [[20, 22], [30, 32], [40, 42]]],
    [true, false, [[10, 12], [30, 32], [40, 42]]],
  ])('BatchNormalization (scale %s, center %s) slices all its vectors', async (scale, center, expected) => {
    const m = seq([
      tf.layers.conv2d({ inputShape: [3, 3, 1], filters: 3, kernelSize: 1, name: 'c1' }),
      tf.layers.batchNormalization({ scale, center, name: 'bn' }),
      tf.layers.conv2d({ filters: 2, kernelSize: 1 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 1 }),
    ]);
    const bn = m.getLayer('bn');
    const names = bn.weights.map((w) => w.originalName.split('/').pop() as string);
    const base: Record<string, number> = { gamma: 10, beta: 20, moving_mean: 30, moving_variance: 40 };
    const vals = names.map((n) => tf.tensor1d([base[n], base[n] + 1, base[n] + 2]));
    bn.setWeights(vals);
    tf.dispose(vals);
    const p = prune(m, { c1: [1] });
    expect(weightsOf(p, 'bn')).toEqual(expected);
    p.dispose();
    await checkInvariant(m, { c1: [1] }, input([2, 3, 3, 1]));
  });

  test('PReLU: alpha sliced on the channel axis unless that axis is shared', async () => {
    const m = seq([
      tf.layers.conv2d({ inputShape: [2, 2, 1], filters: 3, kernelSize: 1, name: 'c1' }),
      tf.layers.prelu({ name: 'pr' }),
      tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c2' }),
      tf.layers.prelu({ sharedAxes: [1, 2], name: 'pr2' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 1 }),
    ]);
    setArangeWeights(m.getLayer('pr')); // alpha [2,2,3] = 0..11
    const p = prune(m, { c1: [0], c2: [1] });
    expect(weightsOf(p, 'pr')).toEqual([[1, 2, 4, 5, 7, 8, 10, 11]]);
    expect(shapesOf(p, 'pr2')).toEqual([[1, 1, 1]]);
    p.dispose();
    await checkInvariant(m, { c1: [0], c2: [1] }, input([2, 2, 2, 1]));
  });

  test('Embedding: output dim is a producer (embeddings axis 1)', async () => {
    const m = seq([
      tf.layers.embedding({ inputDim: 4, outputDim: 3, inputLength: 2, name: 'emb' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2 }),
    ]);
    setArangeWeights(m.getLayer('emb')); // [[0,1,2],[3,4,5],[6,7,8],[9,10,11]]
    const p = prune(m, { emb: [2] });
    expect(weightsOf(p, 'emb')).toEqual([[0, 1, 3, 4, 6, 7, 9, 10]]);
    expect((p.getLayer('emb').getConfig() as { outputDim: number }).outputDim).toBe(2);
    p.dispose();
    const ids = tf.tensor2d([[0, 3], [2, 1]]);
    await checkInvariant(m, { emb: [2] }, ids);
    ids.dispose();
  });

  test('Flatten -> Dense removes rows c, c+C, c+2C, ... (NHWC order)', async () => {
    const m = seq([
      tf.layers.conv2d({ inputShape: [2, 2, 1], filters: 3, kernelSize: 1, name: 'c1' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 1, name: 'd' }),
    ]);
    setArangeWeights(m.getLayer('d')); // kernel [12, 1] = 0..11, bias 12
    const p = prune(m, { c1: [1] });
    // Flattened features are (h, w, c) with c fastest: channel 1 is rows 1, 4, 7, 10.
    expect(weightsOf(p, 'd')).toEqual([[0, 2, 3, 5, 6, 8, 9, 11], [12]]);
    p.dispose();
    await checkInvariant(m, { c1: [1] }, input([2, 2, 2, 1]));
  });
});
