/**
 * depthwiseConv2d (and separableConv2d) gradients on wasm, made of tfjs-prune's
 * DepthwiseConv2dNativeBackpropFilter/Input kernels, against the cpu backend's.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../../src/wasm';
import { expectAllClose, onBackend, seeded, toHost, toTensor, wasmBackend, type HostTensor } from './cross-backend';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
type Strides = number | [number, number];

beforeAll(() => {
  enableWasmTraining();
});

async function depthwiseGrads(
  backend: 'cpu' | 'wasm',
  x: HostTensor,
  filter: HostTensor,
  dy: HostTensor,
  strides: Strides,
  pad: Pad,
): Promise<HostTensor[]> {
  return onBackend(backend, () => {
    const dataIds = backend === 'wasm' ? wasmBackend().numDataIds() : 0;
    const [xt, ft, dyt] = [x, filter, dy].map(toTensor);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad));
    const result = g([xt, ft], dyt);
    const host = result.map(toHost);
    tf.dispose([xt, ft, dyt, ...result]);
    if (backend === 'wasm') expect(wasmBackend().numDataIds()).toBe(dataIds);
    return host;
  });
}

function outShape(x: number[], k: number[], m: number, strides: Strides, pad: Pad): number[] {
  return tf.backend_util.computeConv2DInfo(x as [number, number, number, number], [k[0], k[1], x[3], m], strides, 1, pad, undefined, true)
    .outShape;
}

const SHAPES: Array<{ x: number[]; k: [number, number]; m: number; note: string }> = [
  { x: [2, 5, 5, 3], k: [3, 3], m: 1, note: 'multiplier 1' },
  { x: [2, 6, 5, 2], k: [3, 3], m: 2, note: 'multiplier 2' },
  { x: [1, 7, 6, 3], k: [3, 2], m: 3, note: 'batch 1, multiplier 3, 3x2 kernel' },
  { x: [3, 4, 4, 2], k: [1, 1], m: 2, note: '1x1 kernel' },
  { x: [2, 1, 1, 2], k: [3, 3], m: 1, note: 'kernel larger than a 1x1 image' },
  { x: [1, 9, 8, 1], k: [5, 5], m: 2, note: 'one channel, 5x5 kernel' },
];
const STRIDES: Strides[] = [1, 2, [1, 2], [2, 1], 3];
const PADS: Pad[] = [
  'same',
  'valid',
  [
    [0, 0],
    [2, 1],
    [0, 2],
    [0, 0],
  ],
];
const CASES = SHAPES.flatMap((s, i) =>
  STRIDES.flatMap((strides) =>
    PADS.map((pad) => ({ ...s, strides, pad, seed: i + 11 })).filter((c) =>
      outShape(c.x, c.k, c.m, c.strides, c.pad).every((d) => d > 0),
    ),
  ),
);

describe('depthwiseConv2d gradients on wasm equal the cpu backend', () => {
  test('the case list covers many combinations', () => {
    expect(CASES.length).toBeGreaterThan(70);
  });

  test.each(CASES.map((c) => [`${c.note} x=${c.x} strides=${c.strides} pad=${JSON.stringify(c.pad)}`, c]))(
    '%s',
    async (_name, c) => {
      const x = seeded(c.x, c.seed);
      const filter = seeded([c.k[0], c.k[1], c.x[3], c.m], c.seed + 100);
      const dy = seeded(outShape(c.x, c.k, c.m, c.strides, c.pad), c.seed + 200);
      const before = tf.memory().numTensors;
      const onWasm = await depthwiseGrads('wasm', x, filter, dy, c.strides, c.pad);
      const onCpu = await depthwiseGrads('cpu', x, filter, dy, c.strides, c.pad);
      expectAllClose(onWasm, onCpu);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  test('a hand-computed case: 1x1 image, 1x1 kernel, multiplier 2', async () => {
    // y[c*2+m] = x[c] * w[c, m]; dx[c] = sum_m dy[c*2+m] w[c, m]; dW[c, m] = x[c] dy[c*2+m]
    const x = { values: Float32Array.of(2, 3), shape: [1, 1, 1, 2] };
    const filter = { values: Float32Array.of(1, 2, 3, 4), shape: [1, 1, 2, 2] };
    const dy = { values: Float32Array.of(10, 20, 30, 40), shape: [1, 1, 1, 4] };
    const [dx, dW] = await depthwiseGrads('wasm', x, filter, dy, 1, 'valid');
    expect(Array.from(dx.values)).toEqual([10 + 40, 90 + 160]);
    expect(Array.from(dW.values)).toEqual([20, 40, 90, 120]);
  });

  test('dilations above 1 are refused by the kernels with a PruneError', async () => {
    const before = tf.memory().numTensors;
    await onBackend('wasm', () => {
      const x = tf.ones([1, 5, 5, 1]);
      const dy = tf.ones([1, 5, 5, 1]);
      const filter = tf.ones([3, 3, 1, 1]);
      try {
        expect(() =>
          tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dilations: 2, filterShape: [3, 3, 1, 1] }),
        ).toThrow(expect.objectContaining({ name: 'PruneError', code: 'INVALID_OPTION' }));
        expect(() =>
          tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { strides: 1, pad: 'same', dilations: [1, 2], inputShape: [1, 5, 5, 1] }),
        ).toThrow(/dilations \[1, 2\]/);
      } finally {
        tf.dispose([x, dy, filter]);
      }
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('separableConv2d gradients (depthwise then pointwise) on wasm equal the cpu backend', () => {
  const S_CASES: Array<{ x: number[]; m: number; out: number; strides: Strides; pad: 'same' | 'valid' }> = [
    { x: [2, 6, 6, 3], m: 1, out: 4, strides: 1, pad: 'same' },
    { x: [2, 7, 7, 2], m: 2, out: 3, strides: 2, pad: 'same' },
    { x: [1, 8, 6, 2], m: 3, out: 2, strides: [2, 1], pad: 'valid' },
  ];
  test.each(S_CASES.map((c) => [`x=${c.x} m=${c.m} strides=${c.strides} ${c.pad}`, c]))('%s', async (_n, c) => {
    const x = seeded(c.x, 21);
    const dw = seeded([3, 3, c.x[3], c.m], 22);
    const pw = seeded([1, 1, c.x[3] * c.m, c.out], 23);
    const run = (backend: 'cpu' | 'wasm') =>
      onBackend(backend, () => {
        const [xt, dwt, pwt] = [x, dw, pw].map(toTensor);
        const f = (a: tf.Tensor, b: tf.Tensor, p: tf.Tensor) =>
          tf.separableConv2d(a as tf.Tensor4D, b as tf.Tensor4D, p as tf.Tensor4D, c.strides, c.pad).square().sum();
        const grads = tf.grads(f)([xt, dwt, pwt]);
        const host = grads.map(toHost);
        tf.dispose([xt, dwt, pwt, ...grads]);
        return host;
      });
    expectAllClose(await run('wasm'), await run('cpu'), 1e-5);
  });
});
