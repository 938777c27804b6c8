/**
 * MaxPoolGrad on wasm (tfjs-prune's replacement) against the cpu backend, and by hand: wasm
 * 4.22's own kernel drops the gradient of windows whose maximum is not positive.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../../src/wasm';
import { expectAllClose, onBackend, seeded, toHost, toTensor, wasmBackend, type HostTensor } from './cross-backend';

type Pad = 'same' | 'valid' | number;

beforeAll(() => {
  enableWasmTraining();
});

const poolGrad = (backend: 'cpu' | 'wasm', x: HostTensor, size: number | [number, number], strides: number | [number, number], pad: Pad, rounding?: 'floor' | 'ceil' | 'round') =>
  onBackend(backend, () => {
    const dataIds = backend === 'wasm' ? wasmBackend().numDataIds() : 0;
    const xt = toTensor(x);
    const f = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, size, strides, pad, rounding);
    const y = f(xt);
    const w = toTensor(seeded(y.shape, 5));
    const dx = tf.grad((a: tf.Tensor) => f(a).mul(w).sum())(xt);
    const host = toHost(dx);
    tf.dispose([xt, y, w, dx]);
    if (backend === 'wasm') expect(wasmBackend().numDataIds()).toBe(dataIds);
    return host;
  });

describe('maxPool gradient on wasm', () => {
  test('hand-computed: windows whose maximum is negative or zero still get their gradient', async () => {
    const x = { shape: [1, 4, 4, 1], values: Float32Array.of(-3, -1, -2, -4, 1, 5, 2, 0, 0, 0, 0, 0, -1, 0, 0, -2) };
    const dx = await onBackend('wasm', () => {
      const t = toTensor(x);
      const g = tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid').sum())(t);
      const v = Array.from(g.dataSync());
      tf.dispose([t, g]);
      return v;
    });
    // Maxima: 5 at index 5, 2 at 6, first 0 of the bottom-left window at 8, of the bottom-right at 10.
    expect(dx).toEqual([0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
  });

  const CASES: Array<{ x: number[]; size: number | [number, number]; strides: number | [number, number]; pad: Pad; rounding?: 'floor' | 'ceil' | 'round' }> = [
    { x: [2, 6, 6, 3], size: 2, strides: 2, pad: 'valid' },
    { x: [2, 7, 7, 2], size: 3, strides: 2, pad: 'same' },
    { x: [1, 5, 6, 4], size: 3, strides: 1, pad: 'same' },
    { x: [3, 5, 5, 1], size: [2, 3], strides: [1, 2], pad: 'valid' },
    { x: [1, 1, 1, 2], size: 3, strides: 1, pad: 'same' },
    { x: [2, 7, 7, 2], size: 3, strides: 2, pad: 1, rounding: 'ceil' }, // ceil = floor here
    { x: [2, 8, 8, 3], size: 2, strides: 3, pad: 'valid' },
  ];
  test.each(CASES.map((c) => [`x=${c.x} size=${c.size} strides=${c.strides} pad=${c.pad} ${c.rounding ?? ''}`, c]))(
    'equals the cpu backend: %s',
    async (_n, c) => {
      for (const [label, x] of [
        ['mixed signs', seeded(c.x, 3)],
        ['ties (values rounded to 0.5)', { shape: c.x, values: seeded(c.x, 4).values.map((v) => Math.round(v * 2) / 2) }],
      ] as const) {
        const before = tf.memory().numTensors;
        const onWasm = await poolGrad('wasm', x, c.size, c.strides, c.pad, c.rounding);
        const onCpu = await poolGrad('cpu', x, c.size, c.strides, c.pad, c.rounding);
        try {
          expectAllClose([onWasm], [onCpu]);
        } catch (e) {
          throw new Error(`${label}: ${(e as Error).message}`);
        }
        expect(tf.memory().numTensors).toBe(before);
      }
    },
  );

  test("dimRoundingMode 'ceil' (not passed to the kernel by tfjs-core): same as pooling an input padded with -Infinity", async () => {
    // W = 6, pad 1, stride 2, size 3: (6 + 2 - 3) / 2 + 1 = 3.5 -> 4 columns, the last window
    // reads columns 5..7 of which only 5 exists; H = 7 gives 4 rows either way.
    const x = seeded([2, 7, 6, 2], 6);
    const onWasm = await poolGrad('wasm', x, 3, 2, 1, 'ceil');
    const reference = await onBackend('cpu', () => {
      const t = toTensor(x);
      const f = (a: tf.Tensor) => tf.maxPool(tf.pad(a, [[0, 0], [1, 1], [1, 2], [0, 0]], -Infinity) as tf.Tensor4D, 3, 2, 'valid');
      const y = tf.tidy(() => f(t));
      expect(y.shape).toEqual([2, 4, 4, 2]);
      const w = toTensor(seeded(y.shape, 5));
      const dx = tf.grad((a: tf.Tensor) => f(a).mul(w).sum())(t);
      const host = toHost(dx);
      tf.dispose([t, y, w, dx]);
      return host;
    });
    expectAllClose([onWasm], [reference]);
  });
});
