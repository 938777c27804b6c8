/**
 * tfjs-prune's FusedBatchNorm on wasm (x * s + t with the backend's Multiply and Add) against the
 * cpu backend: tf.batchNorm over ranks, optional scale/offset, stat shapes and epsilons; a
 * BatchNormalization model's inference and one training step; no tensor or wasm buffer leak.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining, fastBatchNorm, type ReplacingKernelConfig } from '../../src/wasm';
import { expectAllClose, onBackend, seeded, toHost, toTensor, trainOneStep, wasmBackend, type HostTensor } from './cross-backend';

beforeAll(() => {
  enableWasmTraining();
});

/** Variance-like values in [0.05, 2.05): positive, some small enough for eps to matter. */
const positive = (shape: number[], seed: number): HostTensor => {
  const h = seeded(shape, seed);
  return { shape, values: h.values.map((v) => v + 1.05) };
};

interface Case {
  x: number[];
  stat: number[];
  offset: boolean;
  scale: boolean;
  eps: number;
}

const batchNormOn = (backend: 'cpu' | 'wasm', c: Case): Promise<HostTensor> =>
  onBackend(backend, () => {
    const dataIds = backend === 'wasm' ? wasmBackend().numDataIds() : 0;
    const y = tf.tidy(() =>
      tf.batchNorm(
        toTensor(seeded(c.x, 1)),
        toTensor(seeded(c.stat, 2)),
        toTensor(positive(c.stat, 3)),
        c.offset ? toTensor(seeded(c.stat, 4)) : undefined,
        c.scale ? toTensor(seeded(c.stat, 5)) : undefined,
        c.eps,
      ),
    );
    const out = toHost(y);
    y.dispose();
    if (backend === 'wasm') expect(wasmBackend().numDataIds()).toBe(dataIds);
    return out;
  });

describe('fastBatchNorm on wasm', () => {
  test('is registered by enableWasmTraining and replaces the backend kernel', () => {
    const entry = tf.getKernel('FusedBatchNorm', 'wasm') as ReplacingKernelConfig;
    expect(entry.replaced).toBeDefined();
    expect(enableWasmTraining().replaced).toContain('FusedBatchNorm');
  });

  test('hand-computed: x [2, 2], mean [1, 2], variance [4, 0.25], offset [0, 1], scale [2, 1], eps 0', async () => {
    const y = await onBackend('wasm', () => {
      const t = tf.tidy(() => tf.batchNorm(tf.tensor2d([[3, 2], [-1, 3]]), [1, 2], [4, 0.25], [0, 1], [2, 1], 0));
      const v = Array.from(t.dataSync());
      t.dispose();
      return v;
    });
    // (x - mean) * scale / sqrt(var) + offset: (3-1)*2/2 = 2, 0/0.5+1 = 1, (-1-1)*2/2 = -2, (3-2)/0.5+1 = 3
    expect(y).toEqual([2, 1, -2, 3]);
  });

  const CASES: Case[] = [];
  const SHAPES: Array<[number[], number[]]> = [
    [[5, 7], [7]], // rank 2, rank-1 stats
    [[5, 7], [1, 7]], // rank 2, stats already broadcast-shaped
    [[2, 5, 6, 8], [8]], // rank 4
    [[2, 5, 6, 8], [1, 1, 1, 8]], // rank 4, broadcast-shaped stats
    [[3, 4, 4, 5], [4, 4, 5]], // stats per position and channel (cycled)
    [[4, 3, 6], [6]], // rank 3
    [[2, 3, 3, 4], [2, 3, 3, 4]], // full-size stats (original kernel)
    [[12], [3]], // rank 1
    [[3, 7, 11, 5], [5]], // 231 rows folded into 3 rows of 77 x 5
    [[1009, 3], [3]], // prime row count: no folding
    [[2, 4, 4, 600], [600]], // rows wider than the folding target
  ];
  for (const [x, stat] of SHAPES) {
    for (const [offset, scale] of [[true, true], [false, false], [true, false], [false, true]]) {
      CASES.push({ x, stat, offset, scale, eps: 1e-3 });
    }
  }
  for (const eps of [0, 1e-5, 0.1, 2]) CASES.push({ x: [2, 4, 4, 6], stat: [6], offset: true, scale: true, eps });

  test.each(CASES.map((c) => [`x [${c.x}] stats [${c.stat}] offset ${c.offset} scale ${c.scale} eps ${c.eps}`, c] as const))(
    'equals the cpu backend: %s',
    async (_name, c) => {
      const before = tf.memory().numTensors;
      expectAllClose([await batchNormOn('wasm', c)], [await batchNormOn('cpu', c)], 1e-5, 1e-6);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  test('falls back to the original kernel for stats of different sizes', async () => {
    const c = (backend: 'cpu' | 'wasm') =>
      onBackend(backend, () => {
        const y = tf.tidy(() => tf.batchNorm(toTensor(seeded([2, 3, 4], 1)), toTensor(seeded([1, 4], 2)), toTensor(positive([1, 4], 3)), toTensor(seeded([3, 4], 4))));
        const h = toHost(y);
        y.dispose();
        return h;
      });
    expectAllClose([await c('wasm')], [await c('cpu')], 1e-5, 1e-6);
  });

  test('the replacement delegates to the kernel it wraps for non-float32 input', () => {
    const calls: string[] = [];
    const original: tf.KernelConfig = { kernelName: 'FusedBatchNorm', backendName: 'wasm', kernelFunc: () => (calls.push('original'), { dataId: {}, shape: [], dtype: 'int32' }) };
    const config = fastBatchNorm(original);
    const info = (dtype: tf.DataType): tf.TensorInfo => ({ dataId: {}, shape: [4], dtype });
    config.kernelFunc({ inputs: { x: info('int32'), mean: info('float32'), variance: info('float32') }, attrs: { varianceEpsilon: 1e-3 }, backend: wasmBackend() });
    expect(calls).toEqual(['original']);
    expect(config.replaced).toBe(original);
  });
});

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

function buildModel(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [10, 10, 3], filters: 8, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(1) }),
      tf.layers.batchNormalization({ movingMeanInitializer: tf.initializers.constant({ value: 0.2 }), movingVarianceInitializer: tf.initializers.constant({ value: 0.6 }) }),
      tf.layers.reLU(),
      // No bias before BN: its gradient is zero up to rounding noise, which no tolerance compares.
      tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, depthwiseInitializer: init(2) }),
      tf.layers.batchNormalization({ epsilon: 0.01 }),
      tf.layers.reLU(), // (without it the next BN would cancel the gradient of this beta)
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 6, useBias: false, kernelInitializer: init(3) }),
      tf.layers.batchNormalization({ momentum: 0.5 }), // rank 2
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.3), loss: 'categoricalCrossentropy' });
  return model;
}

const X = seeded([4, 10, 10, 3], 11);
/** model.getWeights() lists the 10 trainable weights first, then the 6 BN moving statistics. */
const TRAINABLE = 10;
const Y: HostTensor = { values: new Float32Array(12).map((_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0)), shape: [4, 3] };

describe('BatchNormalization models on wasm with fastBatchNorm', () => {
  test('inference (training: false) equals the cpu backend', async () => {
    const predictOn = (backend: 'cpu' | 'wasm') =>
      onBackend(backend, () => {
        const model = buildModel();
        const x = toTensor(X);
        const y = model.predict(x) as tf.Tensor;
        const h = toHost(y);
        tf.dispose([x, y]);
        model.optimizer.dispose();
        model.dispose();
        return h;
      });
    const before = tf.memory().numTensors;
    expectAllClose([await predictOn('wasm')], [await predictOn('cpu')], 1e-5, 1e-6);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('one training step (BN forward in training mode, BN backward) equals the cpu backend', async () => {
    const stepOn = (backend: 'cpu' | 'wasm') => trainOneStep(backend, buildModel, X, Y);
    const before = tf.memory().numTensors;
    const wasm = await stepOn('wasm');
    const cpu = await stepOn('cpu');
    expectAllClose(wasm.before, cpu.before, 0, 0);
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-5 * Math.abs(cpu.loss));
    const delta = (s: { before: HostTensor[]; after: HostTensor[] }) =>
      s.after.map((t, k) => ({ shape: t.shape, values: t.values.map((v, i) => v - s.before[k].values[i]) }));
    // Trainable weights moved by the same amount (BN backward ran through the new forward)...
    const trainable = (d: HostTensor[]) => d.slice(0, TRAINABLE);
    trainable(delta(cpu)).forEach((u) => expect(u.values.some((v) => v !== 0)).toBe(true));
    expectAllClose(trainable(delta(wasm)), trainable(delta(cpu)), 1e-4, 1e-7);
    // ...and all weights, moving statistics included (their update is tiny, so compare values).
    expectAllClose(wasm.after, cpu.after, 1e-5, 1e-6);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('repeated inference leaks no tensor and no wasm buffer', async () => {
    await onBackend('wasm', () => {
      const model = buildModel();
      const x = toTensor(X);
      tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync()); // warm-up
      const ids = wasmBackend().numDataIds();
      for (let i = 0; i < 5; i++) tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
      expect(wasmBackend().numDataIds()).toBe(ids);
      x.dispose();
      model.optimizer.dispose();
      model.dispose();
    });
  });
});
