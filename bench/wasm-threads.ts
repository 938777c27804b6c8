/**
 * Training throughput (samples/s) of the wasm backend in Node with 1 and 2 threads
 * (`enableWasmTraining({ threads })`), and of the same Fashion-MNIST CNN step in PyTorch on CPU
 * with the same thread counts, measured in one run.
 *
 *   npm run bench:wasm-threads            (= tsx bench/wasm-threads.ts)
 *   npm run bench:wasm-threads -- --quick (1 round, fewer steps: a smoke run)
 *
 * Models: the Fashion-MNIST benchmark CNN (bench/models/fmnist-cnn.ts, 28x28x1) and the
 * MobileNetV2-style model (bench/models/mobilenet-v2.ts, alpha 1, at 32x32x3: at 96x96 a
 * training step at batch 128 needs more than the 4 GB a wasm32 heap can hold and aborts), batches 128 and 32,
 * Adam, seeded random data, `model.trainOnBatch`. Each round starts the wasm backend once per
 * thread count (order alternating between rounds, so load drifts hit both) and times STEPS steps
 * per setting after one warm-up step; PyTorch (Debian's python3-torch, /usr/bin/python3, the
 * script bench/torch-fmnist-step.py) runs in the same round. The figure is the median over the
 * rounds. Then one training step of the Fashion-MNIST CNN at batch 128 is profiled per kernel
 * (`tf.profile`) with 1 and 2 threads, and PyTorch's step per operator.
 *
 * The load average (`os.loadavg()`) is printed with every round: on a shared machine it says how
 * many cores the figures really had. Writes out/bench-wasm-threads.json.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../src/wasm';
import { buildFmnistCnn } from './models/fmnist-cnn';
import { buildMobileNetV2 } from './models/mobilenet-v2';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;
const THREADS = [1, 2] as const;
const BATCHES = [128, 32] as const;
const PYTHON = '/usr/bin/python3';

interface ModelSpec {
  name: string;
  build: () => tf.LayersModel;
  /** Timed steps per setting, by batch size. */
  steps: Record<number, number>;
}

const MODELS: ModelSpec[] = [
  { name: 'Fashion-MNIST CNN', build: () => buildFmnistCnn({ seed: 0 }), steps: { 128: quick ? 2 : 6, 32: quick ? 6 : 20 } },
  {
    name: 'MobileNetV2-style (32x32, alpha 1)',
    build: () => buildMobileNetV2({ inputSize: 32, alpha: 1.0, classes: 10, seed: 42 }),
    steps: { 128: quick ? 1 : 2, 32: quick ? 2 : 5 },
  },
];

const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(', ');
const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

let originalFactory: ReturnType<typeof tf.findBackendFactory> | undefined;

/** (Re)starts the wasm backend with `threads` threads (1: TF.js's single-threaded build). */
async function startWasm(threads: number): Promise<void> {
  originalFactory ??= tf.findBackendFactory('wasm');
  if (tf.engine().registry.wasm !== undefined || tf.engine().registryFactory.wasm?.factory !== originalFactory) {
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', originalFactory, 2);
  }
  enableWasmTraining({ threads });
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
  const got = wasmBackend.getThreadsCount();
  if (got !== threads) throw new Error(`asked for ${threads} threads, the backend has ${got}`);
}

/** Samples/s of `steps` trainOnBatch calls after one warm-up call. */
async function trainRate(spec: ModelSpec, batch: number): Promise<number> {
  const model = spec.build();
  const optimizer = tf.train.adam(1e-4);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const shape = [batch, ...(model.inputs[0].shape.slice(1) as number[])];
  const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32'), 10).toFloat();
  try {
    await model.trainOnBatch(x, y);
    const steps = spec.steps[batch];
    const t = performance.now();
    for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
    return (batch * steps * 1000) / (performance.now() - t);
  } finally {
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  }
}

interface TorchOut {
  samplesPerSecond: number[];
  torch: string;
  profileMsPerStep?: Record<string, number>;
}

function torchRun(threads: number, batch: number, profile = false): TorchOut {
  const steps = batch === 128 ? (quick ? 2 : 6) : quick ? 6 : 20;
  const args = [path.join(__dirname, 'torch-fmnist-step.py'), '--threads', String(threads), '--batch', String(batch), '--steps', String(steps), '--repeats', '1'];
  if (profile) args.push('--profile');
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  if (r.status !== 0) throw new Error(`PyTorch run failed (is python3-torch installed? apt-get install -y python3-torch):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as TorchOut;
}

/** ms per kernel name of one trainOnBatch step (mean of 3 after one warm-up). */
async function stepProfile(spec: ModelSpec, batch: number): Promise<Record<string, number>> {
  const model = spec.build();
  const optimizer = tf.train.adam(1e-4);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const x = tf.randomNormal([batch, ...(model.inputs[0].shape.slice(1) as number[])], 0, 1, 'float32', 3);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32'), 10).toFloat();
  const totals: Record<string, number> = {};
  try {
    await model.trainOnBatch(x, y);
    for (let r = 0; r < 3; r++) {
      const info = await tf.profile(async () => {
        await model.trainOnBatch(x, y);
        return tf.scalar(0);
      });
      tf.dispose(info.result as tf.Tensor);
      for (const k of info.kernels) {
        if (k.name.endsWith('__op')) continue;
        totals[k.name] = (totals[k.name] ?? 0) + Number(k.kernelTimeMs) / 3;
      }
    }
  } finally {
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  }
  return totals;
}

async function main(): Promise<void> {
  const started = new Date();
  console.log(`wasm threads benchmark, ${started.toISOString()}; ${os.cpus().length} logical cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}`);
  console.log(`load average at start: ${load()}`);
  const rates: Record<string, number[]> = {};
  const loads: string[] = [];
  let torchVersion = '';
  const add = (key: string, v: number) => (rates[key] ??= []).push(v);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [...THREADS] : [...THREADS].reverse();
    for (const threads of order) {
      await startWasm(threads);
      for (const spec of MODELS) {
        for (const batch of BATCHES) {
          const r = await trainRate(spec, batch);
          add(`tfjs|${spec.name}|${batch}|${threads}`, r);
          console.log(`round ${round + 1}, wasm ${threads} thread(s), ${spec.name}, batch ${batch}: ${r.toFixed(1)} samples/s (load ${load()})`);
        }
      }
      for (const batch of BATCHES) {
        const t = torchRun(threads, batch);
        torchVersion = t.torch;
        add(`torch|Fashion-MNIST CNN|${batch}|${threads}`, t.samplesPerSecond[0]);
        console.log(`round ${round + 1}, PyTorch ${threads} thread(s), Fashion-MNIST CNN, batch ${batch}: ${t.samplesPerSecond[0].toFixed(1)} samples/s (load ${load()})`);
      }
    }
    loads.push(load());
  }

  const profiles: Record<string, Record<string, number>> = {};
  for (const threads of THREADS) {
    await startWasm(threads);
    profiles[`wasm ${threads}`] = await stepProfile(MODELS[0], 128);
    profiles[`torch ${threads}`] = torchRun(threads, 128, true).profileMsPerStep ?? {};
  }

  // Tables for docs/benchmarks.md.
  const fmt = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: v < 100 ? 1 : 0 });
  const lines: string[] = [];
  lines.push('| model | batch | wasm 1 thread | wasm 2 threads | 2 / 1 | PyTorch 1 thread | PyTorch 2 threads | 2 / 1 | PyTorch / wasm, 1 thread | PyTorch / wasm, 2 threads |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const spec of MODELS) {
    for (const batch of BATCHES) {
      const w1 = median(rates[`tfjs|${spec.name}|${batch}|1`]);
      const w2 = median(rates[`tfjs|${spec.name}|${batch}|2`]);
      const t1 = rates[`torch|${spec.name}|${batch}|1`];
      const t2 = rates[`torch|${spec.name}|${batch}|2`];
      const torchCells = t1 && t2 ? [fmt(median(t1)), fmt(median(t2)), `${(median(t2) / median(t1)).toFixed(2)}x`, `${(median(t1) / w1).toFixed(2)}x`, `${(median(t2) / w2).toFixed(2)}x`] : ['', '', '', '', ''];
      lines.push(`| ${spec.name} | ${batch} | ${fmt(w1)} | ${fmt(w2)} | **${(w2 / w1).toFixed(2)}x** | ${torchCells.join(' | ')} |`);
    }
  }
  console.log(`\nSamples/s, median of ${ROUNDS} round(s):\n\n${lines.join('\n')}\n`);
  const top = (p: Record<string, number>, n = 10) =>
    Object.entries(p)
      .sort((a, b) => b[1] - a[1])
      .slice(0, n);
  for (const [name, p] of Object.entries(profiles)) {
    const total = Object.values(p).reduce((a, b) => a + b, 0);
    console.log(`${name} thread(s), Fashion-MNIST CNN, batch 128, one training step: ${total.toFixed(1)} ms in kernels`);
    for (const [k, ms] of top(p)) console.log(`  ${k.padEnd(40)} ${ms.toFixed(1)} ms (${((100 * ms) / total).toFixed(0)}%)`);
  }
  console.log(`\nload average per round: ${loads.join(' | ')}; at the end: ${load()}`);
  const out = path.join(process.cwd(), 'out', 'bench-wasm-threads.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ started: started.toISOString(), rounds: ROUNDS, rates, loads, torch: torchVersion, profiles }, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

main().then(
  () => undefined,
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
