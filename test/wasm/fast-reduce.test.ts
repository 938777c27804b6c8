/** tfjs-prune's Sum and Mean over leading axes on wasm against hand-computed values and the cpu backend. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining, fastReduce } from '../../src/wasm';
import type { ReplacingKernelConfig } from '../../src/wasm';
import { expectAllClose, onBackend, seeded, toHost, toTensor, wasmBackend, type HostTensor } from './cross-backend';

beforeAll(() => {
  enableWasmTraining();
});

type Op = 'sum' | 'mean';

const reduceOn = (backend: 'cpu' | 'wasm', op: Op, h: HostTensor, axis: number | number[] | undefined, keepDims: boolean, dtype: 'float32' | 'int32' = 'float32') =>
  onBackend(backend, () => {
    const dataIds = backend === 'wasm' ? wasmBackend().numDataIds() : 0;
    const x = dtype === 'float32' ? toTensor(h) : tf.tensor(Array.from(h.values, (v) => Math.round(10 * v)), h.shape, 'int32');
    const y = op === 'sum' ? tf.sum(x, axis, keepDims) : tf.mean(x, axis, keepDims);
    const result = toHost(y);
    tf.dispose([x, y]);
    if (backend === 'wasm') expect(wasmBackend().numDataIds()).toBe(dataIds);
    return result;
  });

describe('Sum and Mean over leading axes on wasm', () => {
  test('are replaced by enableWasmTraining, keeping the original kernel and its setup', () => {
    for (const name of ['Sum', 'Mean']) {
      const entry = tf.getKernel(name, 'wasm') as ReplacingKernelConfig;
      expect(entry.replaced).toBeDefined();
      expect(entry.setupFunc).toBe(entry.replaced?.setupFunc);
    }
    expect(enableWasmTraining().replaced).toEqual(expect.arrayContaining(['Sum', 'Mean']));
  });

  test('hand-computed: [[1, 2], [3, 4], [5, 6]] over axis 0', async () => {
    const h = { values: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [3, 2] };
    expect(Array.from((await reduceOn('wasm', 'sum', h, 0, false)).values)).toEqual([9, 12]);
    expect(Array.from((await reduceOn('wasm', 'mean', h, 0, false)).values)).toEqual([3, 4]);
    expect((await reduceOn('wasm', 'sum', h, [0], true)).shape).toEqual([1, 2]);
  });

  const CASES: Array<[number[], number | number[] | undefined]> = [
    [[64, 10], 0],
    [[8, 7, 7, 16], [0, 1, 2]],
    [[8, 7, 7, 16], [2, 0, 1]], // same axes, any order
    [[8, 7, 7, 16], [0, 1]],
    [[8, 7, 7, 16], [-4, -3, -2]],
    [[8, 7, 7, 16], [1, 2]], // not leading: the original kernel
    [[8, 7, 7, 16], [3]],
    [[8, 7, 7, 16], undefined], // full reduction: the original kernel
  ];
  test.each(CASES.flatMap(([shape, axis]) => (['sum', 'mean'] as const).flatMap((op) => [false, true].map((k) => [`${op} [${shape}] axis ${JSON.stringify(axis)} keepDims ${k}`, shape, axis, op, k] as const))))(
    'equals the cpu backend: %s',
    async (_n, shape, axis, op, keepDims) => {
      const before = tf.memory().numTensors;
      const h = seeded([...shape], 3);
      const ax = Array.isArray(axis) ? [...axis] : axis;
      // Sums of up to 784 values in [-1, 1): float32 running sums (cpu, and wasm's own kernel for
      // the axes it keeps) drift by a few 1e-6.
      expectAllClose([await reduceOn('wasm', op, h, ax, keepDims)], [await reduceOn('cpu', op, h, ax, keepDims)], 1e-5, 1e-5);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  test('zero rows: sum and mean are 0, as on cpu', async () => {
    const h = seeded([3, 0, 4], 1);
    for (const backend of ['wasm', 'cpu'] as const) {
      expect(Array.from((await reduceOn(backend, 'sum', h, [0, 1], false)).values)).toEqual([0, 0, 0, 0]);
      expect(Array.from((await reduceOn(backend, 'mean', h, [0, 1], false)).values)).toEqual([0, 0, 0, 0]);
    }
  });

  test('int32 goes to the original kernel and stays exact', async () => {
    const h = seeded([6, 5], 4);
    expect(await reduceOn('wasm', 'sum', h, 0, false, 'int32')).toEqual(await reduceOn('cpu', 'sum', h, 0, false, 'int32'));
  });

  test('the gradient of a BatchNormalization training step matches the cpu backend', async () => {
    const x = seeded([6, 5, 5, 4], 5);
    const g = seeded([4], 6);
    const grads = (backend: 'cpu' | 'wasm') =>
      onBackend(backend, () => {
        const xs = toTensor(x);
        const gs = toTensor(g);
        const out = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
          const { mean, variance } = tf.moments(a, [0, 1, 2]);
          return tf.batchNorm(a, mean, variance, tf.fill([4], 0.1), b, 1e-3).relu().square().sum();
        })([xs, gs]);
        const host = out.map(toHost);
        tf.dispose([xs, gs, ...out]);
        return host;
      });
    expectAllClose(await grads('wasm'), await grads('cpu'), 1e-4, 1e-5);
  });

  test('delegates what it does not handle to the kernel it replaced', () => {
    const calls: string[] = [];
    const original: tf.KernelConfig = { kernelName: 'Sum', backendName: 'wasm', kernelFunc: () => (calls.push('original'), { dataId: {}, shape: [], dtype: 'int32' }) };
    const replacement = fastReduce(original);
    expect(replacement.replaced).toBe(original);
    replacement.kernelFunc({ inputs: { x: { dataId: {}, shape: [2, 3], dtype: 'int32' } }, attrs: { axis: [0], keepDims: false }, backend: {} as tf.KernelBackend });
    replacement.kernelFunc({ inputs: { x: { dataId: {}, shape: [2, 3], dtype: 'float32' } }, attrs: { axis: [1], keepDims: false }, backend: {} as tf.KernelBackend });
    expect(calls).toEqual(['original', 'original']);
  });
});
