/**
 * The threaded wasm build in Node (enableWasmTraining({ threads })) computes what the
 * single-threaded build computes: forward kernels, every kernel enableWasmTraining adds or
 * replaces, and a whole pruneIteratively run. The suite's backend (single-threaded wasm, see
 * test/setup-backend.ts) is measured first; the wasm backend is then restarted with 2 threads.
 */
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../../src/wasm';
import { pruneIteratively } from '../../src/prune-iteratively';
import { maxSteps } from '../../src/stopping/max-steps';
import { expectAllClose, seeded, toHost, toTensor, type HostTensor } from './cross-backend';

jest.setTimeout(120000);

const onWasm = tf.getBackend() === 'wasm' || process.env.TFJS_PRUNE_BACKEND === undefined;
const maybe = process.env.TFJS_PRUNE_BACKEND === 'cpu' ? describe.skip : describe;

/** Every kernel of interest, run once on the current backend; results copied to the host. */
function kernels(): Record<string, HostTensor[]> {
  const t = (shape: number[], seed: number) => toTensor(seeded(shape, seed));
  const out: Record<string, HostTensor[]> = {};
  const keep = (name: string, f: () => tf.Tensor | tf.Tensor[]) => {
    const r = tf.tidy(f);
    const list = Array.isArray(r) ? r : [r];
    out[name] = list.map(toHost);
    tf.dispose(list);
  };
  const x = t([4, 14, 14, 8], 1);
  const w = t([3, 3, 8, 16], 2);
  const dw = t([3, 3, 8, 2], 3);
  const dense = t([64, 96], 4);
  const dk = t([96, 48], 5);
  keep('conv2d (forward)', () => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'));
  keep('depthwiseConv2d (forward)', () => tf.depthwiseConv2d(x as tf.Tensor4D, dw as tf.Tensor4D, 1, 'same'));
  keep('matMul (forward)', () => tf.matMul(dense, dk));
  keep('fused conv2d + bias + relu (forward)', () =>
    tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: tf.gather(t([20], 6), tf.range(0, 16, 1, 'int32')), activation: 'relu' }),
  );
  // Conv2DBackpropFilter and Conv2DBackpropInput (strided: the input gradient by phases).
  keep('Conv2DBackpropFilter + Conv2DBackpropInput', () =>
    tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').square().sum())([x, w]),
  );
  keep('DepthwiseConv2dNativeBackpropFilter + Input', () =>
    tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same').square().sum())([x, dw]),
  );
  keep('MaxPoolGrad', () => tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid').mul(t([4, 7, 7, 8], 7)).sum())(x));
  keep('UnsortedSegmentSum (gather gradient)', () =>
    tf.grad((a: tf.Tensor) => tf.gather(a, tf.tensor1d([0, 3, 3, 1, 0, 5], 'int32')).mul(t([6, 96], 8)).sum())(dense.slice([0, 0], [8, 96])),
  );
  keep('Tile', () => tf.tile(t([3, 1, 5, 8], 9), [2, 6, 1, 4]));
  keep('Slice', () => tf.slice(x, [1, 2, 3, 1], [2, 9, 10, 6]));
  keep('FusedBatchNorm', () => tf.batchNorm(x, t([8], 10), t([8], 11).abs().add(0.5), t([8], 12), t([8], 13), 1e-3));
  keep('batch-norm training step (grads)', () =>
    tf.grads((a: tf.Tensor, g: tf.Tensor) => {
      const { mean, variance } = tf.moments(a, [0, 1, 2]);
      return tf.batchNorm(a, mean, variance, t([8], 15), g, 1e-3).relu().square().sum();
    })([x, t([8], 14)]),
  );
  tf.dispose([x, w, dw, dense, dk]);
  return out;
}

/** A small CNN (conv, BatchNorm, depthwise, pooling, dense), seeded. */
function cnn(): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: init(1), name: 'c1' }),
      tf.layers.batchNormalization({ name: 'bn1' }),
      tf.layers.reLU(),
      tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: init(2), name: 'dw' }),
      tf.layers.conv2d({ filters: 12, kernelSize: 1, kernelInitializer: init(3), activation: 'relu', name: 'c2' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(4), name: 'out' }),
    ],
  });
}

/** pruneIteratively for 2 steps on seeded data; the report without its wall-clock seconds. */
async function pruneRun(): Promise<unknown> {
  const x = toTensor(seeded([48, 12, 12, 1], 21));
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 48 }, (_, i) => i % 3), 'int32'), 3).toFloat();
  const model = cnn();
  try {
    const { model: small, report } = await pruneIteratively(model, { train: { x, y }, validation: { x, y } }, {
      compile: { optimizer: () => tf.train.sgd(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
      stop: maxSteps(2),
      schedule: { channelsPerStep: 2 },
      fineTune: { steps: 3, batchSize: 16 },
    });
    // Wall-clock seconds differ from run to run; everything else must not.
    const json: unknown = JSON.parse(JSON.stringify(report.toJSON()), (key, value: unknown) => (key === 'seconds' ? undefined : value));
    const weights = small.getWeights().map(toHost);
    small.dispose();
    return { json, weights };
  } finally {
    model.dispose();
    tf.dispose([x, y]);
  }
}

/** Numbers in two plain-JSON values equal within `rtol` (relative to the larger magnitude). */
function expectNumbersClose(a: unknown, b: unknown, path = '$', rtol = 1e-5): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Math.abs(a - b) > rtol * Math.max(Math.abs(a), Math.abs(b)) + 1e-7) throw new Error(`${path}: ${a} vs ${b}`);
    return;
  }
  if (a instanceof Float32Array && b instanceof Float32Array) {
    expectAllClose([{ values: a, shape: [a.length] }], [{ values: b, shape: [b.length] }]);
    return;
  }
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    expect({ path, value: a }).toEqual({ path, value: b });
    return;
  }
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(a)) expectNumbersClose((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, rtol);
}

maybe('enableWasmTraining({ threads }) in Node', () => {
  let single: Record<string, HostTensor[]>;
  let singleRun: unknown;
  let original: ReturnType<typeof tf.findBackendFactory>;

  beforeAll(async () => {
    expect(onWasm).toBe(true);
    await tf.setBackend('wasm');
    expect(wasm.getThreadsCount()).toBe(1);
    single = kernels();
    singleRun = await pruneRun();
    // Restart the wasm backend with 2 threads.
    original = tf.findBackendFactory('wasm');
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', original, 2);
    enableWasmTraining({ threads: 2 });
    expect(await tf.setBackend('wasm')).toBe(true);
  });

  afterAll(async () => {
    // Ends the pthread workers; leave the single-threaded backend as the suite had it.
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', original, 2);
    await tf.setBackend('wasm');
  });

  test('the backend started 2 threads', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(wasm.getThreadsCount()).toBe(2);
    // Set only while the backend starts, so that TF.js's own factory never tries threads alone.
    expect(tf.env().get('WASM_HAS_MULTITHREAD_SUPPORT')).toBe(false);
  });

  test('forward and gradient kernels equal the single-threaded ones to 1e-5 relative, no tensor leaks', () => {
    const before = tf.memory().numTensors;
    const threaded = kernels();
    expect(Object.keys(threaded)).toEqual(Object.keys(single));
    for (const name of Object.keys(single)) {
      try {
        expectAllClose(threaded[name], single[name], 1e-5, 0);
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`);
      }
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a pruneIteratively run gives the same report and weights', async () => {
    expectNumbersClose(await pruneRun(), singleRun);
  });

  test('a second call with the same threads changes nothing; another count after the start is refused', () => {
    const factory = tf.findBackendFactory('wasm');
    expect(() => enableWasmTraining({ threads: 2 })).not.toThrow();
    expect(tf.findBackendFactory('wasm')).toBe(factory);
    expect(() => enableWasmTraining({ threads: 3 })).toThrow(expect.objectContaining({ name: 'PruneError', code: 'INVALID_OPTION' }));
    expect(() => enableWasmTraining({ threads: false })).toThrow(/came after the wasm backend started with 2 thread/);
    expect(tf.findBackendFactory('wasm')).toBe(factory);
  });
});

describe('enableWasmTraining({ threads }) validation', () => {
  test.each([0, 9, 2.5, -1, '2', null])('threads: %p is refused with INVALID_OPTION, nothing registered', (threads) => {
    const factory = tf.findBackendFactory('wasm');
    expect(() => enableWasmTraining({ threads: threads as unknown as number })).toThrow(
      expect.objectContaining({ name: 'PruneError', code: 'INVALID_OPTION' }),
    );
    expect(tf.findBackendFactory('wasm')).toBe(factory);
  });
});
