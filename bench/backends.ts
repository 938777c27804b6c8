/**
 * Training and inference throughput (samples/s) of two small CNNs on the pure-JS `cpu` backend
 * and on `wasm` with tfjs-prune's training kernels (tfjs-prune/wasm), measured in one run.
 *
 *   npm run bench:backends            (= tsx bench/backends.ts)
 *
 * Prints a markdown table for docs/benchmarks.md and writes out/bench-backends.json. The cpu
 * backend trains at ~10 samples/s, so it gets few samples; wasm gets many. Each figure is the
 * median of REPEATS timed runs after one warm-up batch. Nothing here is tuned to a target.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../src/wasm';

const BATCH = 32;
const REPEATS = 3;
/** Samples per timed run: [train, inference]. */
const SAMPLES: Record<string, [number, number]> = { cpu: [64, 256], wasm: [1024, 4096] };

type Setup = 'cpu' | 'wasm' | 'wasm, own Conv2DBackpropInput';

interface ModelSpec {
  name: string;
  inputShape: [number, number, number];
  build: () => tf.LayersModel;
}

const seeded = (offset: number) => tf.initializers.glorotUniform({ seed: 7 + offset });

const MODELS: ModelSpec[] = [
  {
    name: 'small CNN (conv 3x3x16, pool, conv 3x3x32, pool, dense 64, dense 10; 28x28x1)',
    inputShape: [28, 28, 1],
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(1) }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(2) }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: seeded(3) }),
          tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: seeded(4) }),
        ],
      }),
  },
  {
    name: 'BN/depthwise/separable CNN (conv s2 + BN, depthwise + BN, 1x1 conv + BN, separable s2 + BN, global pool, dense; 32x32x3)',
    inputShape: [32, 32, 3],
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: seeded(5) }),
          tf.layers.batchNormalization(),
          tf.layers.reLU(),
          tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, depthwiseInitializer: seeded(6) }),
          tf.layers.batchNormalization(),
          tf.layers.reLU(),
          tf.layers.conv2d({ filters: 32, kernelSize: 1, useBias: false, kernelInitializer: seeded(7) }),
          tf.layers.batchNormalization(),
          tf.layers.reLU(),
          tf.layers.separableConv2d({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', useBias: false, depthwiseInitializer: seeded(8), pointwiseInitializer: seeded(9) }),
          tf.layers.batchNormalization(),
          tf.layers.reLU(),
          tf.layers.globalAveragePooling2d({}),
          tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: seeded(10) }),
        ],
      }),
  },
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function activate(setup: Setup): Promise<void> {
  if (setup === 'cpu') {
    await tf.setBackend('cpu');
  } else {
    enableWasmTraining({ fastConv2DBackpropInput: setup === 'wasm' });
    await tf.setBackend('wasm');
  }
  await tf.ready();
}

/** Samples per second of `model.fit` (one epoch, batch 32) and of `model.predict`. */
async function measure(spec: ModelSpec, setup: Setup, inference: boolean): Promise<{ train: number[]; infer: number[] }> {
  await activate(setup);
  const [nTrain, nInfer] = SAMPLES[setup === 'cpu' ? 'cpu' : 'wasm'];
  const model = spec.build();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.randomUniform([Math.max(nTrain, inference ? nInfer : 0), ...spec.inputShape], 0, 1, 'float32', 1);
  const labels = tf.randomUniform([nTrain], 0, 10, 'int32', 2);
  const y = tf.oneHot(labels, 10);
  const xTrain = x.slice(0, nTrain);
  const train: number[] = [];
  const infer: number[] = [];
  try {
    await model.fit(xTrain.slice(0, BATCH), y.slice(0, BATCH), { epochs: 1, batchSize: BATCH, verbose: 0 }); // warm-up
    for (let r = 0; r < REPEATS; r++) {
      const start = performance.now();
      await model.fit(xTrain, y, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
      train.push(nTrain / ((performance.now() - start) / 1000));
    }
    if (inference) {
      const xInfer = x.slice(0, nInfer);
      tf.dispose(model.predict(xInfer.slice(0, BATCH)) as tf.Tensor); // warm-up
      for (let r = 0; r < REPEATS; r++) {
        const start = performance.now();
        const out = model.predict(xInfer, { batchSize: BATCH }) as tf.Tensor;
        await out.data();
        infer.push(nInfer / ((performance.now() - start) / 1000));
        out.dispose();
      }
      xInfer.dispose();
    }
  } finally {
    tf.dispose([x, labels, y, xTrain]);
    model.optimizer.dispose();
    model.dispose();
  }
  return { train, infer };
}

async function main(): Promise<void> {
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
  await tf.setBackend('wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const machine =
    `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ` +
    `@tensorflow/tfjs ${tf.version.tfjs}, wasm SIMD ${simd ? 'on' : 'off'}, 1 wasm thread (Node), ` +
    `load average ${os.loadavg()[0].toFixed(2)} at start`;
  console.log(machine);
  const results: Array<{ model: string; setup: Setup; train: number[]; infer: number[] }> = [];
  const rows: string[] = [];
  for (const spec of MODELS) {
    for (const setup of ['cpu', 'wasm', 'wasm, own Conv2DBackpropInput'] as Setup[]) {
      const r = await measure(spec, setup, setup !== 'wasm, own Conv2DBackpropInput');
      results.push({ model: spec.name, setup, ...r });
      console.log(`${spec.name} | ${setup}: train ${r.train.map(fmt).join(', ')}; infer ${r.infer.map(fmt).join(', ')} samples/s`);
    }
    const of = (setup: Setup) => results.find((r) => r.model === spec.name && r.setup === setup) as (typeof results)[number];
    const [cpu, wasm, own] = [of('cpu'), of('wasm'), of('wasm, own Conv2DBackpropInput')];
    rows.push(
      `| ${spec.name} | ${fmt(median(cpu.train))} | ${fmt(median(wasm.train))} | **${(median(wasm.train) / median(cpu.train)).toFixed(0)}x** | ` +
        `${fmt(median(own.train))} | ${fmt(median(cpu.infer))} | ${fmt(median(wasm.infer))} | ${(median(wasm.infer) / median(cpu.infer)).toFixed(0)}x |`,
    );
  }
  await tf.setBackend('wasm');
  enableWasmTraining(); // leave the default (fast) kernel registered
  console.log('\nMachine: ' + machine);
  console.log(
    '\n| model | cpu train | wasm train | wasm/cpu | wasm train, wasm\'s own Conv2DBackpropInput | cpu inference | wasm inference | wasm/cpu |\n' +
      '|---|---|---|---|---|---|---|---|\n' +
      rows.join('\n'),
  );
  fs.mkdirSync('out', { recursive: true });
  fs.writeFileSync('out/bench-backends.json', JSON.stringify({ machine, batch: BATCH, repeats: REPEATS, samples: SAMPLES, results }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
