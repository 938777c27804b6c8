import * as tf from '@tensorflow/tfjs';
import { countFlops, type CountFlopsResult } from '../../src/metrics/count-flops';
import { PruneError } from '../../src/errors';

/**
 * Counts the MACs of `model` (checking no tensor is created and, unless `partial`, that every
 * layer was counted), then disposes the model.
 */
function flopsOf(model: tf.LayersModel, partial = false): CountFlopsResult {
  const before = tf.memory().numTensors;
  const result = countFlops(model);
  expect(tf.memory().numTensors).toBe(before);
  if (!partial) expect(result.notCounted).toEqual([]);
  model.dispose();
  return result;
}

function seq(inputShape: number[], ...layers: tf.layers.Layer[]): tf.LayersModel {
  const model = tf.sequential();
  layers.forEach((layer, i) => {
    if (i === 0) {
      // Give the first layer its input shape through an explicit input layer (named 'in').
      model.add(tf.layers.inputLayer({ inputShape, name: 'in' }));
    }
    model.add(layer);
  });
  return model;
}

describe('countFlops: convolutions and dense', () => {
  it('Conv2D same -> BN -> MaxPool -> Flatten -> Dense, per layer', () => {
    const result = flopsOf(
      seq(
        [6, 6, 3],
        tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'conv' }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ units: 10, name: 'fc' }),
      ),
    );
    expect(result.perLayer).toEqual({
      in: 0,
      conv: 6 * 6 * (3 * 3 * 3) * 8, // 36 positions * 27 taps * 8 filters = 7776
      bn: 6 * 6 * 8, // one scale-and-shift per output element = 288
      pool: 0,
      flat: 0,
      fc: 3 * 3 * 8 * 10, // 72 inputs after the 2x2 pool * 10 units = 720
    });
    expect(result.total).toBe(7776 + 288 + 720);
    expect(result.notCounted).toEqual([]);
  });

  it('Conv1D, valid and strided', () => {
    // length 10, 4 channels, kernel 3, 6 filters. valid stride 1: 8 outputs; stride 2: floor(7/2)+1 = 4.
    const valid = flopsOf(seq([10, 4], tf.layers.conv1d({ filters: 6, kernelSize: 3, name: 'c' })));
    expect(valid.perLayer.c).toBe(8 * 3 * 4 * 6); // 576
    const strided = flopsOf(seq([10, 4], tf.layers.conv1d({ filters: 6, kernelSize: 3, strides: 2, name: 'c' })));
    expect(strided.perLayer.c).toBe(4 * 3 * 4 * 6); // 288
  });

  it('Conv2D strided, valid and same; dilation does not change the count', () => {
    // 7x7x2 input, 3x3 kernel, 4 filters. valid stride 2: floor((7-3)/2)+1 = 3 -> 3x3 outputs.
    const valid = flopsOf(seq([7, 7, 2], tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, name: 'c' })));
    expect(valid.total).toBe(3 * 3 * 9 * 2 * 4); // 648
    // same stride 2: ceil(7/2) = 4 -> 4x4 outputs.
    const same = flopsOf(
      seq([7, 7, 2], tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'c' })),
    );
    expect(same.total).toBe(4 * 4 * 9 * 2 * 4); // 1152
    // dilation 2, valid: effective kernel 5 -> 3x3 outputs, still 9 taps each.
    const dilated = flopsOf(seq([7, 7, 2], tf.layers.conv2d({ filters: 4, kernelSize: 3, dilationRate: 2, name: 'c' })));
    expect(dilated.total).toBe(3 * 3 * 9 * 2 * 4); // 648
  });

  it('Conv3D', () => {
    // 4x4x4x2 input, 3x3x3 kernel same, 3 filters: 64 positions * 27 taps * 2 * 3.
    const result = flopsOf(seq([4, 4, 4, 2], tf.layers.conv3d({ filters: 3, kernelSize: 3, padding: 'same' })));
    expect(result.total).toBe(64 * 27 * 2 * 3); // 10368
  });

  it('Conv2DTranspose with strides counts per input position', () => {
    // 4x4x3 input, kernel 3, stride 2, same -> 8x8x5 output. 16 input positions * 9 * 3 * 5.
    const result = flopsOf(
      seq([4, 4, 3], tf.layers.conv2dTranspose({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', name: 't' })),
    );
    expect(result.perLayer.t).toBe(16 * 9 * 3 * 5); // 2160
  });

  it('DepthwiseConv2D with depth multiplier 2', () => {
    // 5x5x3 input, kernel 3 valid -> 3x3x6. 9 positions * 9 taps * 3 channels * 2.
    const result = flopsOf(seq([5, 5, 3], tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, name: 'dw' })));
    expect(result.perLayer.dw).toBe(9 * 9 * 3 * 2); // 486
  });

  it('SeparableConv2D = depthwise part + pointwise part', () => {
    // 6x6x4 input, kernel 3 same, multiplier 2, 5 filters.
    // depthwise: 36 * 9 * 4 * 2 = 2592; pointwise: 36 * (4*2) * 5 = 1440.
    const result = flopsOf(
      seq([6, 6, 4], tf.layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same', depthMultiplier: 2, name: 's' })),
    );
    expect(result.perLayer.s).toBe(2592 + 1440);
  });

  it('Dense on a rank-3 input multiplies by the middle axis', () => {
    // [batch, 5, 7] -> Dense(3): 5 positions * 7 * 3.
    const result = flopsOf(seq([5, 7], tf.layers.dense({ units: 3, name: 'fc' })));
    expect(result.perLayer.fc).toBe(5 * 7 * 3); // 105
  });

  it('honours channelsFirst on Conv2D, Conv2DTranspose and DepthwiseConv2D', () => {
    // [3, 6, 6] channels-first, kernel 3 valid, 8 filters -> [8, 4, 4]: 16 * 27 * 8.
    const conv = flopsOf(seq([3, 6, 6], tf.layers.conv2d({ filters: 8, kernelSize: 3, dataFormat: 'channelsFirst', name: 'c' })));
    expect(conv.perLayer.c).toBe(16 * 27 * 8); // 3456
    // [3, 4, 4] -> transpose, kernel 2, stride 2, 5 filters: 16 input positions * 4 * 3 * 5.
    const transpose = flopsOf(
      seq([3, 4, 4], tf.layers.conv2dTranspose({ filters: 5, kernelSize: 2, strides: 2, dataFormat: 'channelsFirst', name: 't' })),
    );
    expect(transpose.perLayer.t).toBe(16 * 4 * 3 * 5); // 960
    // [3, 5, 5] -> depthwise kernel 3 valid, multiplier 2: 9 * 9 * 3 * 2.
    const depthwise = flopsOf(
      seq([3, 5, 5], tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, dataFormat: 'channelsFirst', name: 'd' })),
    );
    expect(depthwise.perLayer.d).toBe(486);
    // [4, 6, 6] -> separable kernel 3 same, multiplier 2, 5 filters: 36*9*4*2 + 36*8*5 (as channels-last).
    const separable = flopsOf(
      seq(
        [4, 6, 6],
        tf.layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same', depthMultiplier: 2, dataFormat: 'channelsFirst', name: 's' }),
        tf.layers.batchNormalization({ axis: 1, name: 'bn' }),
      ),
    );
    expect(separable.perLayer.s).toBe(2592 + 1440);
    expect(separable.perLayer.bn).toBe(5 * 6 * 6); // 180
  });

  it('fmnist-cnn: exact hand-computed total', () => {
    const block = (filters: number, n: number): tf.layers.Layer[] => [
      tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', name: `conv${n}` }),
      tf.layers.batchNormalization({ name: `bn${n}` }),
      tf.layers.reLU({ name: `relu${n}` }),
      tf.layers.maxPooling2d({ poolSize: 2, name: `pool${n}` }),
    ];
    const result = flopsOf(
      seq(
        [28, 28, 1],
        ...block(32, 1),
        ...block(64, 2),
        ...block(128, 3),
        tf.layers.flatten({ name: 'flat' }),
        tf.layers.dense({ units: 128, activation: 'relu', name: 'fc1' }),
        tf.layers.dense({ units: 10, activation: 'softmax', name: 'fc2' }),
      ),
    );
    expect(result.perLayer.conv1).toBe(225_792); // 28*28 * 3*3*1 * 32
    expect(result.perLayer.bn1).toBe(25_088); // 28*28*32
    expect(result.perLayer.conv2).toBe(3_612_672); // 14*14 * 3*3*32 * 64
    expect(result.perLayer.bn2).toBe(12_544); // 14*14*64
    expect(result.perLayer.conv3).toBe(3_612_672); // 7*7 * 3*3*64 * 128
    expect(result.perLayer.bn3).toBe(6_272); // 7*7*128
    expect(result.perLayer.fc1).toBe(147_456); // pool 7 -> 3: 3*3*128 = 1152 inputs * 128
    expect(result.perLayer.fc2).toBe(1_280); // 128 * 10
    // conv 7,451,136 + dense 148,736 + BN 43,904.
    expect(result.total).toBe(7_643_776);
    expect(result.notCounted).toEqual([]);
  });
});

describe('countFlops: graphs', () => {
  it('functional model with Add and Concatenate', async () => {
    const x = tf.input({ shape: [4, 4, 2], name: 'x' });
    const a = tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'a' }).apply(x) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'b' }).apply(x) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'add' }).apply([a, b]) as tf.SymbolicTensor;
    const cat = tf.layers.concatenate({ name: 'cat' }).apply([sum, a]) as tf.SymbolicTensor;
    const c = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c' }).apply(cat) as tf.SymbolicTensor;
    const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(c) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 1, name: 'out' }).apply(gap) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: out });
    // A copy rebuilt from its JSON (as surgery and tf.loadLayersModel do) counts the same.
    const rebuilt = flopsOf(await tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) }));
    const result = flopsOf(model);
    expect(rebuilt).toEqual(result);
    expect(result.perLayer).toEqual({
      x: 0,
      a: 16 * 1 * 2 * 3, // 96
      b: 16 * 9 * 2 * 3, // 864
      add: 0,
      cat: 0,
      c: 16 * 1 * 6 * 2, // 6 concatenated channels: 192
      gap: 0,
      out: 2 * 1, // 2
    });
    expect(result.total).toBe(96 + 864 + 192 + 2);
  });

  it('a layer applied twice counts twice, a layer shared with another model only for this model', () => {
    const x = tf.input({ shape: [5], name: 'x' });
    const shared = tf.layers.dense({ units: 5, name: 'shared' });
    const once = shared.apply(x) as tf.SymbolicTensor;
    const other = tf.model({ inputs: x, outputs: once }); // another model using the same layer
    const twice = shared.apply(once) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: twice });
    const before = tf.memory().numTensors;
    expect(countFlops(model).perLayer.shared).toBe(2 * 5 * 5); // 50
    expect(countFlops(other).perLayer.shared).toBe(5 * 5); // 25
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('recurses into a nested model, once per application', () => {
    const inner = tf.sequential({ name: 'inner', layers: [tf.layers.dense({ inputShape: [4], units: 4, name: 'inner_fc' })] });
    const x = tf.input({ shape: [4], name: 'x' });
    const y = inner.apply(inner.apply(x)) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, name: 'head' }).apply(y) as tf.SymbolicTensor;
    const result = flopsOf(tf.model({ inputs: x, outputs: out }));
    // inner: 4*4 = 16 per application, applied twice; head: 4*2 = 8.
    expect(result.perLayer).toEqual({ x: 0, inner: 32, head: 8 });
    expect(result.total).toBe(40);
  });

  it('lists custom layers in notCounted and counts them as 0', () => {
    class Doubler extends tf.layers.Layer {
      static className = 'TestDoubler';
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0]! : inputs, 2));
      }
    }
    const inner = tf.sequential({
      name: 'inner',
      layers: [tf.layers.dense({ inputShape: [3], units: 3, name: 'inner_fc' }), new Doubler({ name: 'inner_custom' })],
    });
    const x = tf.input({ shape: [3], name: 'x' });
    const custom = new Doubler({ name: 'custom' }).apply(x) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, name: 'fc' }).apply(inner.apply(custom) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const result = flopsOf(tf.model({ inputs: x, outputs: out }), true);
    expect(result.notCounted).toEqual(['custom', 'inner/inner_custom']);
    expect(result.perLayer).toEqual({ x: 0, custom: 0, inner: 9, fc: 6 });
    expect(result.total).toBe(15);
  });
});

describe('countFlops: other layer types', () => {
  it('recurrent layers: timesteps * gates * (input + units) * units', () => {
    // 5 timesteps, 3 features, 8 units: (3 + 8) * 8 = 88 per gate and step.
    const lstm = flopsOf(seq([5, 3], tf.layers.lstm({ units: 8, name: 'r' })));
    expect(lstm.perLayer.r).toBe(5 * 4 * 88); // 1760
    const gru = flopsOf(seq([5, 3], tf.layers.gru({ units: 8, name: 'r' })));
    expect(gru.perLayer.r).toBe(5 * 3 * 88); // 1320
    const simple = flopsOf(seq([5, 3], tf.layers.simpleRNN({ units: 8, returnSequences: true, name: 'r' })));
    expect(simple.perLayer.r).toBe(5 * 88); // 440
    const bi = flopsOf(seq([5, 3], tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 8 }) as tf.RNN, name: 'r' })));
    expect(bi.perLayer.r).toBe(2 * 1760);
    // Stacked cells: LSTM cell 3 -> 4 then GRU cell 4 -> 2: 4*(3+4)*4 + 3*(4+2)*2 = 112 + 36 per step.
    const stacked = flopsOf(
      seq([5, 3], tf.layers.rnn({ cell: [tf.layers.lstmCell({ units: 4 }), tf.layers.gruCell({ units: 2 })], name: 'r' })),
    );
    expect(stacked.perLayer.r).toBe(5 * (112 + 36));
  });

  it('ConvLSTM2D: timesteps * 4 * positions * taps * (in + filters) * filters', () => {
    // 3 steps of 5x5x2, kernel 3 same, 4 filters: 3 * 4 * 25 * 9 * (2+4) * 4.
    const result = flopsOf(seq([3, 5, 5, 2], tf.layers.convLstm2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'r' })));
    expect(result.perLayer.r).toBe(3 * 4 * 25 * 9 * 6 * 4); // 64800
  });

  it('variable-length sequences cannot be counted and are reported', () => {
    const result = flopsOf(seq([null as unknown as number, 3], tf.layers.lstm({ units: 8, name: 'r' })), true);
    expect(result.perLayer.r).toBe(0);
    expect(result.notCounted).toEqual(['r']);
  });

  it('Embedding is 0, TimeDistributed(Dense) is timesteps * dense, LayerNormalization and Dot', () => {
    const emb = flopsOf(
      seq(
        [5],
        tf.layers.embedding({ inputDim: 20, outputDim: 3, name: 'emb' }),
        tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 4 }), name: 'td' }),
        tf.layers.layerNormalization({ name: 'ln' }),
      ),
    );
    expect(emb.perLayer).toEqual({ in: 0, emb: 0, td: 5 * 3 * 4, ln: 5 * 4 }); // td 60, ln 20
    const a = tf.input({ shape: [4], name: 'a' });
    const b = tf.input({ shape: [4], name: 'b' });
    const dot = tf.layers.dot({ axes: 1, name: 'dot' }).apply([a, b]) as tf.SymbolicTensor;
    const dotResult = flopsOf(tf.model({ inputs: [a, b], outputs: dot }));
    expect(dotResult.perLayer.dot).toBe(4); // one output, 4 products
  });

  it('rejects what is not a built LayersModel', () => {
    expect(() => countFlops({ layers: 'no' } as unknown as tf.LayersModel)).toThrow(PruneError);
    const codeOf = (value: unknown): string | undefined => {
      try {
        countFlops(value as tf.LayersModel);
      } catch (e) {
        return (e as PruneError).code;
      }
      return undefined;
    };
    expect(codeOf(new tf.GraphModel('file://nowhere/model.json'))).toBe('NOT_A_LAYERS_MODEL');
    expect(codeOf(undefined)).toBe('NOT_A_LAYERS_MODEL');
    expect(codeOf(tf.sequential())).toBe('MODEL_NOT_BUILT');
  });
});
