import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../src/graph/analyze';
import { input } from '../helpers/arange';
import { checkInvariant } from '../helpers/check-invariant';

type Sym = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

/** Conv (4 filters) -> layer under test -> conv consumer -> flatten -> dense. */
function modelAround(make: () => tf.layers.Layer, shape: number[]): tf.LayersModel {
  const x = tf.input({ shape });
  const conv = shape.length === 3 ? tf.layers.conv2d : tf.layers.conv1d;
  const c = apply(conv({ filters: 4, kernelSize: 1, name: 'c' }), x);
  const t = apply(make(), c);
  const rank = t.shape.length;
  const after = rank === 2 ? apply(tf.layers.dense({ units: 3, name: 'k' }), t) : apply(conv({ filters: 3, kernelSize: 1, name: 'k' }), t);
  const y = apply(tf.layers.dense({ units: 2, name: 'y' }), rank === 2 ? after : apply(tf.layers.flatten(), after));
  return tf.model({ inputs: x, outputs: y });
}

describe('pass-through layers keep channel c at c', () => {
  const image = [6, 6, 2];
  const sequence = [6, 2];
  // Every row has all three fields: jest passes a `done` callback in place of missing ones.
  const cases: Array<[string, () => tf.layers.Layer, number[]]> = [
    ['Activation tanh', () => tf.layers.activation({ activation: 'tanh' }), image],
    ['ReLU', () => tf.layers.reLU(), image],
    ['ReLU with maxValue', () => tf.layers.reLU({ maxValue: 0.5 }), image],
    ['LeakyReLU', () => tf.layers.leakyReLU({ alpha: 0.2 }), image],
    ['ELU', () => tf.layers.elu(), image],
    ['PReLU', () => tf.layers.prelu({ alphaInitializer: tf.initializers.constant({ value: 0.3 }) }), image],
    ['Dropout', () => tf.layers.dropout({ rate: 0.5 }), image],
    ['SpatialDropout1D', () => tf.layers.spatialDropout1d({ rate: 0.5 }), sequence],
    ['GaussianNoise', () => tf.layers.gaussianNoise({ stddev: 1 }), image],
    ['GaussianDropout', () => tf.layers.gaussianDropout({ rate: 0.5 }), image],
    ['MaxPooling2D', () => tf.layers.maxPooling2d({ poolSize: 2 }), image],
    ['AveragePooling2D', () => tf.layers.averagePooling2d({ poolSize: 2, strides: 1 }), image],
    ['MaxPooling1D', () => tf.layers.maxPooling1d({ poolSize: 2 }), sequence],
    ['AveragePooling1D', () => tf.layers.averagePooling1d({ poolSize: 3 }), sequence],
    ['GlobalAveragePooling2D', () => tf.layers.globalAveragePooling2d({}), image],
    ['GlobalMaxPooling2D', () => tf.layers.globalMaxPooling2d({}), image],
    ['GlobalAveragePooling1D', () => tf.layers.globalAveragePooling1d(), sequence],
    ['GlobalMaxPooling1D', () => tf.layers.globalMaxPooling1d(), sequence],
    ['ZeroPadding2D', () => tf.layers.zeroPadding2d({ padding: [[1, 0], [2, 1]] }), image],
    ['Cropping2D', () => tf.layers.cropping2D({ cropping: [[1, 0], [0, 2]] }), image],
    ['UpSampling2D', () => tf.layers.upSampling2d({ size: [2, 1] }), image],
    ['DepthwiseConv2D m=1 with activation', () => tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu' }), image],
    ['DepthwiseConv2D m=2 strided, no bias', () => tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, depthMultiplier: 2, useBias: false }), image],
    ['BatchNormalization', () => tf.layers.batchNormalization({ betaInitializer: 'ones', movingVarianceInitializer: 'ones' }), image],
  ];
  test.each(cases)('%s', async (_name, make, shape) => {
    const m = modelAround(make, shape);
    const g = analyze(m).groups.find((x) => x.id === 'c');
    expect(g?.prunable).toBe(true);
    expect(g?.members.filter((mm) => mm.role === 'passThrough').map((mm) => mm.className)).toContain(m.layers[2].getClassName());
    // Dropout-like layers are identities at inference; predict() runs in inference mode.
    const { shapes } = await checkInvariant(m, { c: [0, 2], k: [1] }, input([3, ...shape]));
    expect(shapes).toEqual([[3, 2]]);
  });
});

describe('merges tie the same channel of every input', () => {
  const merges: Array<[string, () => tf.layers.Layer]> = [
    ['Add', () => tf.layers.add()],
    ['Multiply', () => tf.layers.multiply()],
    ['Average', () => tf.layers.average()],
    ['Maximum', () => tf.layers.maximum()],
    ['Minimum', () => tf.layers.minimum()],
  ];
  test.each(merges)('%s', async (name, make) => {
    const x = tf.input({ shape: [5, 5, 2] });
    const a = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'a' }), x);
    const b = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'b' }), x);
    const merged = apply(make(), [a, b]);
    const y = apply(tf.layers.dense({ units: 2, name: 'y' }), apply(tf.layers.flatten(), merged));
    const m = tf.model({ inputs: x, outputs: y });
    const { groups } = analyze(m);
    expect(groups.map((g) => g.id)).toEqual(['a', 'y']);
    expect(groups[0].members.find((mm) => mm.role === 'passThrough')?.className).toBe(name);
    await checkInvariant(m, { a: [1, 2] }, input([2, 5, 5, 2]));
  });
});
