/**
 * conv2d gradients on wasm (tfjs-prune's Conv2DBackpropFilter and fast Conv2DBackpropInput)
 * against the cpu backend's, for many shapes, strides, paddings and both data formats.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../../src/wasm';
import { expectAllClose, onBackend, seeded, toHost, toTensor, wasmBackend, type HostTensor } from './cross-backend';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
type Strides = number | [number, number];

beforeAll(() => {
  enableWasmTraining();
});

/** `tf.grads` of conv2d w.r.t. x and filter on `backend`; on wasm also checks no buffer leaked. */
async function convGrads(
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
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad));
    const result = g([xt, ft], dyt);
    const host = result.map(toHost);
    tf.dispose([xt, ft, dyt, ...result]);
    if (backend === 'wasm') expect(wasmBackend().numDataIds()).toBe(dataIds);
    return host;
  });
}

function outShape(x: number[], k: number[], out: number, strides: Strides, pad: Pad): number[] {
  return tf.backend_util.computeConv2DInfo(x as [number, number, number, number], [k[0], k[1], x[3], out], strides, 1, pad)
    .outShape;
}

const SHAPES: Array<{ x: number[]; k: [number, number]; out: number; note: string }> = [
  { x: [2, 5, 5, 3], k: [3, 3], out: 4, note: '3x3' },
  { x: [1, 7, 6, 2], k: [3, 2], out: 3, note: 'batch 1, 3x2 kernel' },
  { x: [3, 4, 4, 1], k: [1, 1], out: 2, note: '1x1 kernel, one input channel' },
  { x: [2, 1, 1, 2], k: [3, 3], out: 3, note: 'kernel larger than a 1x1 image' },
  { x: [2, 8, 3, 2], k: [2, 3], out: 2, note: 'tall image, even kernel' },
  { x: [1, 9, 9, 2], k: [5, 5], out: 2, note: '5x5 kernel' },
];
const STRIDES: Strides[] = [1, 2, [1, 2], [2, 1], 3];
const PADS: Pad[] = [
  'same',
  'valid',
  [
    [0, 0],
    [1, 2],
    [2, 0],
    [0, 0],
  ],
];

const CASES = SHAPES.flatMap((s, i) =>
  STRIDES.flatMap((strides) =>
    PADS.map((pad) => ({ ...s, strides, pad, seed: i + 1 })).filter((c) =>
      outShape(c.x, c.k, c.out, c.strides, c.pad).every((d) => d > 0),
    ),
  ),
);

describe('conv2d gradients on wasm equal the cpu backend', () => {
  test('the case list covers many combinations', () => {
    expect(CASES.length).toBeGreaterThan(70);
  });

  test.each(CASES.map((c) => [`${c.note} x=${c.x} strides=${c.strides} pad=${JSON.stringify(c.pad)}`, c]))(
    '%s',
    async (_name, c) => {
      const x = seeded(c.x, c.seed);
      const filter = seeded([c.k[0], c.k[1], c.x[3], c.out], c.seed + 100);
      const dy = seeded(outShape(c.x, c.k, c.out, c.strides, c.pad), c.seed + 200);
      const before = tf.memory().numTensors;
      const onWasm = await convGrads('wasm', x, filter, dy, c.strides, c.pad);
      const onCpu = await convGrads('cpu', x, filter, dy, c.strides, c.pad);
      expectAllClose(onWasm, onCpu);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  test('a hand-computed case: 1x1 image, 1x1 kernel, dx = dy * w and dW = x * dy', async () => {
    const x = { values: Float32Array.of(2, 3), shape: [1, 1, 1, 2] };
    const filter = { values: Float32Array.of(5, 7), shape: [1, 1, 2, 1] };
    const dy = { values: Float32Array.of(11), shape: [1, 1, 1, 1] };
    const [dx, dW] = await convGrads('wasm', x, filter, dy, 1, 'valid');
    expect(Array.from(dx.values)).toEqual([55, 77]);
    expect(Array.from(dW.values)).toEqual([22, 33]);
  });
});

/** Runs a backprop kernel directly (tf.conv2d has no NCHW forward on wasm, the kernels do). */
async function runBackprop(
  backend: 'cpu' | 'wasm',
  kernel: 'Conv2DBackpropFilter' | 'Conv2DBackpropInput',
  inputs: Record<string, HostTensor>,
  attrs: Record<string, unknown>,
): Promise<HostTensor> {
  return onBackend(backend, () => {
    const dataIds = backend === 'wasm' ? wasmBackend().numDataIds() : 0;
    const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, toTensor(v)]));
    try {
      const out = tf.engine().runKernel(kernel, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
      const host = toHost(out);
      out.dispose();
      return host;
    } finally {
      tf.dispose(Object.values(tensors));
      if (backend === 'wasm') expect(wasmBackend().numDataIds()).toBe(dataIds);
    }
  });
}

describe('backprop kernels called directly', () => {
  const KERNEL_CASES: Array<{ x: number[]; k: number[]; strides: Strides; pad: Pad; format: 'NHWC' | 'NCHW'; rounding?: 'floor' | 'round' | 'ceil' }> = [
    { x: [2, 3, 6, 5], k: [3, 3, 3, 4], strides: 1, pad: 'same', format: 'NCHW' },
    { x: [2, 3, 7, 6], k: [3, 2, 3, 2], strides: [2, 1], pad: 'valid', format: 'NCHW' },
    { x: [1, 2, 5, 5], k: [3, 3, 2, 3], strides: 2, pad: [[0, 0], [0, 0], [2, 1], [1, 1]] as Pad, format: 'NCHW' },
    { x: [2, 6, 6, 2], k: [3, 3, 2, 2], strides: 2, pad: 1, format: 'NHWC', rounding: 'ceil' },
    { x: [2, 7, 6, 2], k: [3, 3, 2, 2], strides: 2, pad: 1, format: 'NHWC', rounding: 'floor' },
    { x: [1, 2, 7, 7], k: [3, 3, 2, 2], strides: 3, pad: 2, format: 'NCHW', rounding: 'round' },
  ];

  test.each(KERNEL_CASES.map((c) => [`${c.format} x=${c.x} k=${c.k} strides=${c.strides} pad=${JSON.stringify(c.pad)} ${c.rounding ?? ''}`, c]))(
    '%s',
    async (_name, c) => {
      const format = c.format === 'NHWC' ? 'channelsLast' : 'channelsFirst';
      const info = tf.backend_util.computeConv2DInfo(
        c.x as [number, number, number, number],
        c.k as [number, number, number, number],
        c.strides,
        1,
        c.pad,
        c.rounding,
        false,
        format,
      );
      const x = seeded(c.x, 3);
      const filter = seeded(c.k, 4);
      const dy = seeded(info.outShape, 5);
      const common = { strides: c.strides, pad: c.pad, dataFormat: c.format, dimRoundingMode: c.rounding };
      const before = tf.memory().numTensors;
      for (const kernel of ['Conv2DBackpropFilter', 'Conv2DBackpropInput'] as const) {
        const inputs: Record<string, HostTensor> = kernel === 'Conv2DBackpropFilter' ? { x, dy } : { dy, filter };
        const attrs = kernel === 'Conv2DBackpropFilter' ? { ...common, filterShape: c.k } : { ...common, inputShape: c.x };
        const onWasm = await runBackprop('wasm', kernel, inputs, attrs);
        const onCpu = await runBackprop('cpu', kernel, inputs, attrs);
        expectAllClose([onWasm], [onCpu]);
      }
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  test('a dy whose shape does not match the attributes is refused with a PruneError', async () => {
    const x = seeded([1, 5, 5, 1], 1);
    const dy = seeded([1, 4, 4, 1], 2); // 'same' would give 5x5
    await expect(
      runBackprop('wasm', 'Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 1] }),
    ).rejects.toMatchObject({ name: 'PruneError', code: 'INVALID_OPTION' });
  });
});

describe('conv2dTranspose (forward = Conv2DBackpropInput) and its gradients', () => {
  const T_CASES: Array<{ x: number[]; k: number[]; out: number[]; strides: Strides; pad: 'same' | 'valid' }> = [
    { x: [2, 3, 3, 4], k: [3, 3, 2, 4], out: [2, 6, 6, 2], strides: 2, pad: 'same' },
    { x: [1, 4, 3, 2], k: [2, 2, 3, 2], out: [1, 8, 6, 3], strides: 2, pad: 'valid' },
    { x: [2, 5, 5, 3], k: [3, 3, 2, 3], out: [2, 5, 5, 2], strides: 1, pad: 'same' },
    { x: [1, 3, 4, 2], k: [3, 2, 2, 2], out: [1, 7, 8, 2], strides: [2, 2], pad: 'valid' },
  ];
  test.each(T_CASES.map((c) => [`x=${c.x} k=${c.k} out=${c.out} strides=${c.strides} ${c.pad}`, c]))('%s', async (_n, c) => {
    const x = seeded(c.x, 7);
    const filter = seeded(c.k, 8);
    const dy = seeded(c.out, 9);
    const run = (backend: 'cpu' | 'wasm') =>
      onBackend(backend, () => {
        const [xt, ft, dyt] = [x, filter, dy].map(toTensor);
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, c.out as [number, number, number, number], c.strides, c.pad);
        const y = f(xt, ft);
        const grads = tf.grads(f)([xt, ft], dyt);
        const host = [y, ...grads].map(toHost);
        tf.dispose([xt, ft, dyt, y, ...grads]);
        return host;
      });
    expectAllClose(await run('wasm'), await run('cpu'));
  });
});
