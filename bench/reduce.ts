/**
 * Sum and Mean over leading axes on wasm: the backend's own kernels against tfjs-prune's
 * `fastReduce` (registered by enableWasmTraining), per kernel on the Fashion-MNIST CNN's
 * activation shapes and as training samples/s of that CNN, 1 thread, in one run.
 *
 *   npm run bench:reduce            (= tsx bench/reduce.ts)
 *
 * Each figure is the median of 5 interleaved repeats (old, new, old, new...). Prints markdown.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining, type ReplacingKernelConfig } from '../src/wasm';
import { buildFmnistCnn } from './models/fmnist-cnn';

const REPEATS = 5;
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** Registers wasm's own Sum and Mean (`own`) or tfjs-prune's. */
function useOwn(own: boolean): void {
  enableWasmTraining();
  if (!own) return;
  for (const name of ['Sum', 'Mean']) {
    const entry = tf.getKernel(name, 'wasm') as ReplacingKernelConfig;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(entry.replaced!);
  }
}

function kernelMs(shape: number[], op: 'sum' | 'mean'): number {
  const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
  try {
    tf.dispose(op === 'sum' ? tf.sum(x, [0, 1, 2]) : tf.mean(x, [0, 1, 2]));
    const t = performance.now();
    for (let i = 0; i < 5; i++) tf.dispose(op === 'sum' ? tf.sum(x, [0, 1, 2]) : tf.mean(x, [0, 1, 2]));
    return (performance.now() - t) / 5;
  } finally {
    x.dispose();
  }
}

async function trainRate(batch: number, steps: number): Promise<number> {
  const model = buildFmnistCnn({ seed: 0 });
  const optimizer = tf.train.adam(1e-4);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const x = tf.randomNormal([batch, 28, 28, 1], 0, 1, 'float32', 3);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32'), 10).toFloat();
  try {
    await model.trainOnBatch(x, y);
    const t = performance.now();
    for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
    return (batch * steps * 1000) / (performance.now() - t);
  } finally {
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  }
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  console.log(`load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  const shapes = [[128, 28, 28, 32], [128, 14, 14, 64], [128, 7, 7, 128], [32, 28, 28, 32]];
  const kernel: Record<string, number[]> = {};
  const train: Record<string, number[]> = {};
  for (let r = 0; r < REPEATS; r++) {
    for (const own of [true, false]) {
      useOwn(own);
      for (const s of shapes) for (const op of ['sum', 'mean'] as const) (kernel[`${op}|${s.join('x')}|${own}`] ??= []).push(kernelMs(s, op));
      for (const [batch, steps] of [[128, 3], [32, 10]]) (train[`${batch}|${own}`] ??= []).push(await trainRate(batch, steps));
    }
  }
  console.log('\n| op, shape (reduced over axes 0, 1, 2) | wasm own (ms) | tfjs-prune (ms) | speedup |\n|---|---|---|---|');
  for (const s of shapes) {
    for (const op of ['sum', 'mean'] as const) {
      const a = median(kernel[`${op}|${s.join('x')}|true`]);
      const b = median(kernel[`${op}|${s.join('x')}|false`]);
      console.log(`| ${op} [${s.join(', ')}] | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(a / b).toFixed(1)}x |`);
    }
  }
  console.log('\n| Fashion-MNIST CNN training, batch | wasm own Sum/Mean (samples/s) | tfjs-prune (samples/s) | speedup |\n|---|---|---|---|');
  for (const batch of [128, 32]) {
    const a = median(train[`${batch}|true`]);
    const b = median(train[`${batch}|false`]);
    console.log(`| ${batch} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b / a).toFixed(2)}x |`);
  }
  console.log(`\nload average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`);
}

void main();
