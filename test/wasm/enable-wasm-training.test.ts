import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2DBackpropInputWasm, enableWasmTraining } from '../../src/wasm';
import type { ReplacingKernelConfig } from '../../src/wasm';
import { expectAllClose, onBackend, seeded, toHost, toTensor } from './cross-backend';

const ADDED = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'UnsortedSegmentSum'];
const WRAPPED = ['FusedConv2D', 'FusedDepthwiseConv2D', '_FusedMatMul', 'MaxPoolGrad', 'Tile', 'Slice', 'FusedBatchNorm', 'Sum', 'Mean'];
const ALL = [...ADDED, ...WRAPPED, 'Conv2DBackpropInput'];

const registry = () => ALL.map((name) => tf.getKernel(name, 'wasm'));

/** Gradient of a strided conv2d w.r.t. its input (runs Conv2DBackpropInput) on `backend`. */
const inputGrad = (backend: 'cpu' | 'wasm') =>
  onBackend(backend, () => {
    const x = toTensor(seeded([2, 7, 7, 3], 1));
    const w = toTensor(seeded([3, 3, 3, 4], 2));
    const dx = tf.grad((a: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 2, 'same').square().sum())(x);
    const host = toHost(dx);
    tf.dispose([x, w, dx]);
    return host;
  });

describe('enableWasmTraining', () => {
  test('registers the missing gradient kernels and reports what it set up', () => {
    const before = tf.memory().numTensors;
    const result = enableWasmTraining();
    expect(result).toEqual({ added: ADDED, replaced: [...WRAPPED, 'Conv2DBackpropInput'] });
    for (const name of ALL) expect(tf.getKernel(name, 'wasm')).toBeDefined();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(conv2DBackpropInputWasm);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('is idempotent: a second call changes nothing and warns about nothing', () => {
    enableWasmTraining();
    const entries = registry();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(enableWasmTraining()).toEqual(enableWasmTraining());
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
    registry().forEach((entry, i) => expect(entry).toBe(entries[i]));
  });

  test('the replacements keep the setup of the kernels they replace', () => {
    enableWasmTraining();
    for (const name of [...WRAPPED, 'Conv2DBackpropInput']) {
      const entry = tf.getKernel(name, 'wasm') as ReplacingKernelConfig;
      expect(entry.replaced).toBeDefined();
      expect(entry.setupFunc).toBe(entry.replaced?.setupFunc);
    }
  });

  test('fastConv2DBackpropInput: false restores the wasm kernel, true brings ours back; both match cpu', async () => {
    const before = tf.memory().numTensors;
    enableWasmTraining();
    const original = (tf.getKernel('Conv2DBackpropInput', 'wasm') as ReplacingKernelConfig).replaced;
    const expected = await inputGrad('cpu');
    try {
      const result = enableWasmTraining({ fastConv2DBackpropInput: false });
      expect(result.replaced).toEqual(WRAPPED);
      expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBe(original);
      expectAllClose([await inputGrad('wasm')], [expected]);
    } finally {
      enableWasmTraining({ fastConv2DBackpropInput: true });
    }
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(conv2DBackpropInputWasm);
    expectAllClose([await inputGrad('wasm')], [expected]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('malformed options are refused with INVALID_OPTION before anything is registered', () => {
    const entries = registry();
    expect(() => enableWasmTraining({ fastConv2DBackpropInput: 'yes' as unknown as boolean })).toThrow(
      expect.objectContaining({ name: 'PruneError', code: 'INVALID_OPTION' }),
    );
    expect(() => enableWasmTraining(null as unknown as object)).toThrow(/options object/);
    registry().forEach((entry, i) => expect(entry).toBe(entries[i]));
  });

  test('model.fit trains a conv model on wasm (the error the kernels fix does not occur)', async () => {
    enableWasmTraining();
    const before = tf.memory().numTensors;
    const losses = await onBackend('wasm', async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        ],
      });
      model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
      const x = toTensor(seeded([8, 6, 6, 1], 3));
      const y = tf.ones([8, 1]);
      const history = await model.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0, shuffle: false });
      tf.dispose([x, y]);
      model.optimizer.dispose();
      model.dispose();
      return history.history.loss as number[];
    });
    expect(losses[4]).toBeLessThan(losses[0]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
