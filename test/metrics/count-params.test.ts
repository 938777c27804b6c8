import * as tf from '@tensorflow/tfjs';
import { countParams } from '../../src/metrics/count-params';
import { PruneError } from '../../src/errors';

/** Runs `fn` and checks it left no tensor behind. */
function noLeak<T>(fn: () => T): T {
  const before = tf.memory().numTensors;
  const result = fn();
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

describe('countParams', () => {
  it('counts every weight of a Sequential conv/BN/pool/dense model, per layer', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [6, 6, 3], filters: 8, kernelSize: 3, padding: 'same', name: 'conv' }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ units: 10, name: 'fc' }),
      ],
    });
    const result = noLeak(() => countParams(model));
    expect(result.perLayer).toEqual({
      conv: 3 * 3 * 3 * 8 + 8, // kernel 216 + bias 8 = 224
      bn: 4 * 8, // gamma, beta (trainable) + moving mean, moving variance (not) = 32
      pool: 0,
      flat: 0,
      fc: 3 * 3 * 8 * 10 + 10, // 72 inputs after the 2x2 pool: 720 + 10 = 730
    });
    expect(result.total).toBe(224 + 32 + 730);
    expect(result.total).toBe(model.countParams());
    model.dispose();
  });

  it('includes the input layer of a functional model and honours use_bias / scale flags', () => {
    const input = tf.input({ shape: [5], name: 'x' });
    const hidden = tf.layers.dense({ units: 4, useBias: false, name: 'h' }).apply(input) as tf.SymbolicTensor;
    const normed = tf.layers.batchNormalization({ scale: false, name: 'bn' }).apply(hidden) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: normed });
    const result = noLeak(() => countParams(model));
    // h: 5*4 = 20 (no bias); bn without gamma: beta + moving mean + moving variance = 3*4 = 12.
    expect(result.perLayer).toEqual({ x: 0, h: 20, bn: 12 });
    expect(result.total).toBe(32);
    expect(result.total).toBe(model.countParams());
    model.dispose();
  });

  it('counts a nested model as one layer holding all its weights, and a shared layer once', () => {
    const inner = tf.sequential({
      name: 'inner',
      layers: [tf.layers.dense({ inputShape: [4], units: 3, name: 'inner_fc' })],
    });
    const input = tf.input({ shape: [4], name: 'x' });
    const shared = tf.layers.dense({ units: 4, name: 'shared' });
    const twice = shared.apply(shared.apply(input)) as tf.SymbolicTensor;
    const out = inner.apply(twice) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const result = noLeak(() => countParams(model));
    // shared: 4*4 + 4 = 20 (applied twice, weights counted once); inner: 4*3 + 3 = 15.
    expect(result.perLayer).toEqual({ x: 0, shared: 20, inner: 15 });
    expect(result.total).toBe(35);
    expect(result.total).toBe(model.countParams());
    model.dispose();
  });

  it('counts embedding and recurrent weights like model.countParams()', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 5, name: 'emb' }),
        tf.layers.lstm({ units: 3, name: 'lstm' }),
      ],
    });
    const result = noLeak(() => countParams(model));
    // emb: 10*4 = 40; lstm: kernel 4*(4*3) + recurrent 3*(4*3) + bias 4*3 = 48 + 36 + 12 = 96.
    expect(result.perLayer).toEqual({ emb: 40, lstm: 96 });
    expect(result.total).toBe(model.countParams());
    model.dispose();
  });

  it('rejects what is not a built LayersModel', () => {
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(PruneError);
        return (e as PruneError).code;
      }
      return undefined;
    };
    expect(code(() => countParams({} as tf.LayersModel))).toBe('NOT_A_LAYERS_MODEL');
    expect(code(() => countParams(null as unknown as tf.LayersModel))).toBe('NOT_A_LAYERS_MODEL');
    expect(code(() => countParams(new tf.GraphModel('file://nowhere/model.json') as unknown as tf.LayersModel))).toBe(
      'NOT_A_LAYERS_MODEL',
    );
    expect(code(() => countParams(tf.sequential()))).toBe('MODEL_NOT_BUILT');
  });
});
