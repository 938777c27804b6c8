/**
 * FusedBatchNorm on wasm: the backend's own kernel against tfjs-prune's replacement
 * (`fastBatchNorm`, registered by enableWasmTraining), on MobileNetV2-like activation shapes
 * (batch 32, 96x96 input; a few pruned widths) with rank-1 statistics, as BatchNormalization
 * inference calls it.
 *
 *   npm run bench:batch-norm            (= tsx bench/batch-norm.ts)
 *   npm run bench:batch-norm -- --quick (fewer runs, smoke test)
 *
 * Each figure is the median of RUNS timed calls (old and new interleaved) after a warm-up pass
 * over all shapes; the script also prints the max abs difference of the two outputs and a
 * markdown table.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { fastBatchNorm } from '../src/wasm';

const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 3 : 15;
const SHAPES: number[][] = [
  [32, 48, 48, 16],
  [32, 48, 48, 11], // 16 channels after a 30% prune
  [32, 48, 48, 32],
  [32, 48, 48, 96],
  [32, 48, 48, 67], // 96 after a 30% prune
  [32, 24, 24, 144],
  [32, 12, 12, 192],
  [32, 12, 12, 384],
  [32, 6, 6, 960],
  [1, 48, 48, 96],
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  console.log(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), tfjs ${tf.version.tfjs}`);
  console.log(`wasm: simd=${String(simd)} threads=${String(threads)}`);
  const original = tf.getKernel('FusedBatchNorm', 'wasm');
  if (original === undefined) throw new Error('wasm has no FusedBatchNorm kernel');
  const fast = fastBatchNorm(original);
  const use = (config: tf.KernelConfig): void => {
    tf.unregisterKernel('FusedBatchNorm', 'wasm');
    tf.registerKernel(config);
  };
  const lines = ['| x shape | wasm FusedBatchNorm (ms) | tfjs-prune fastBatchNorm (ms) | speedup | max abs diff |', '|---|---|---|---|---|'];
  try {
    // A first untimed pass over all shapes grows the wasm heap to its final size, so that
    // no timed call pays for heap growth (it otherwise inflated whichever shape came first).
    for (const [pass, shape] of [...SHAPES.map((sh) => [0, sh] as const), ...SHAPES.map((sh) => [1, sh] as const)]) {
      const c = shape[shape.length - 1];
      const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
      const mean = tf.randomNormal([c], 0, 1, 'float32', 2);
      const variance = tf.randomUniform([c], 0.1, 2, 'float32', 3);
      const offset = tf.randomNormal([c], 0, 1, 'float32', 4);
      const scale = tf.randomNormal([c], 1, 0.2, 'float32', 5);
      const run = (): tf.Tensor => tf.batchNorm(x, mean, variance, offset, scale, 1e-3);
      const time = (): number => {
        const start = performance.now();
        const y = run();
        y.dataSync(); // wasm kernels are synchronous; this only guards against lazy work
        const ms = performance.now() - start;
        y.dispose();
        return ms;
      };
      const samples: [number[], number[]] = [[], []];
      for (let w = 0; w < 2; w++) {
        use(original);
        run().dispose();
        use(fast);
        run().dispose();
      }
      for (let i = 0; i < (pass === 0 ? 1 : RUNS); i++) {
        use(original);
        samples[0].push(time());
        use(fast);
        samples[1].push(time());
      }
      use(original);
      const a = run();
      use(fast);
      const b = run();
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
      tf.dispose([a, b, x, mean, variance, offset, scale]);
      if (pass === 0) continue;
      const [old, now] = [median(samples[0]), median(samples[1])];
      console.log(`[${shape}]: old ${old.toFixed(2)} ms, new ${now.toFixed(2)} ms, ${(old / now).toFixed(2)}x, max abs diff ${diff.toExponential(1)}`);
      lines.push(`| [${shape.join(', ')}] | ${old.toFixed(2)} | ${now.toFixed(2)} | ${(old / now).toFixed(2)}x | ${diff.toExponential(1)} |`);
    }
  } finally {
    use(original);
  }
  console.log(`\n${lines.join('\n')}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
