/**
 * Surgery benchmark (issue 2): how fast `analyze` and `prune` are on a ~150-layer MobileNetV2-style
 * model, and how much of the FLOPs reduction of a 30%-per-group prune turns into real inference
 * speedup on every backend that runs here: plain wasm, wasm with tfjs-prune/wasm's kernels
 * (`enableWasmTraining()`, which replaces wasm's slow FusedBatchNorm among others), and cpu.
 *
 *   npm run bench:surgery            # full run (about a minute on 2 cores, mostly the cpu backend at batch 32)
 *   npm run bench:surgery -- --quick # fewer rounds, for a smoke test
 *
 * Prints the figures and a markdown table to paste into docs/benchmarks.md.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze, countFlops, countParams, prune } from '../src/index';
import { enableWasmTraining } from '../src/wasm';
import { interleavedLatency, type PooledLatency } from './helpers/interleaved-latency';
import { kernelProfile } from './helpers/kernel-profile';
import { seededRemovals } from './helpers/seeded-removals';
import { buildMobileNetV2 } from './models/mobilenet-v2';

const QUICK = process.argv.includes('--quick');
const MODEL = { inputSize: 96, alpha: 1.0, classes: 10, seed: 42 } as const;
const FRACTION = 0.3;
const PLAN_SEED = 7;
const TIMING = { warmup: 2, runs: QUICK ? 3 : 9 };
/** Latency settings per backend and batch size: rounds x runs per round, interleaved. */
const LATENCY: Record<string, Record<number, { rounds: number; runsPerRound: number; warmup: number }>> = {
  wasm: { 1: { rounds: QUICK ? 2 : 8, runsPerRound: 10, warmup: 3 }, 32: { rounds: QUICK ? 2 : 10, runsPerRound: 3, warmup: 2 } },
  cpu: { 1: { rounds: QUICK ? 1 : 4, runsPerRound: 3, warmup: 1 }, 32: { rounds: QUICK ? 1 : 3, runsPerRound: 1, warmup: 1 } },
};

/** The layer class whose MACs each wasm kernel computes (for the per-kernel MACs ratio). */
const KERNEL_LAYER: Record<string, string> = {
  FusedConv2D: 'Conv2D',
  Conv2D: 'Conv2D',
  DepthwiseConv2dNative: 'DepthwiseConv2D',
  FusedDepthwiseConv2D: 'DepthwiseConv2D',
  FusedBatchNorm: 'BatchNormalization',
  _FusedMatMul: 'Dense',
};

/** countFlops MACs summed per layer class. */
function macsByClass(model: tf.LayersModel): Record<string, number> {
  const perLayer = countFlops(model).perLayer;
  const out: Record<string, number> = {};
  for (const layer of model.layers) out[layer.getClassName()] = (out[layer.getClassName()] ?? 0) + (perLayer[layer.name] ?? 0);
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function timeIt<T>(fn: () => T, dispose: (value: T) => void): number[] {
  for (let i = 0; i < TIMING.warmup; i++) dispose(fn());
  const samples: number[] = [];
  for (let i = 0; i < TIMING.runs; i++) {
    const start = performance.now();
    const value = fn();
    samples.push(performance.now() - start);
    dispose(value);
  }
  return samples;
}

function check(ok: boolean, what: string): void {
  if (!ok) {
    process.exitCode = 1;
    console.error(`CHECK FAILED: ${what}`);
  } else console.log(`check ok: ${what}`);
}

const fmt = (x: number, digits = 1): string => x.toFixed(digits);
const loadavg = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' / ');

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  console.log(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), tfjs ${tf.version.tfjs}`);
  console.log(`wasm: simd=${String(simd)} threads=${String(threads)}; load average at start ${loadavg()}`);

  const baseline = tf.memory().numTensors;
  const buildStart = performance.now();
  const model = buildMobileNetV2(MODEL);
  console.log(`built ${model.name} in ${fmt(performance.now() - buildStart, 0)} ms`);

  // analyze / prune timing (backend: wasm; both are mostly host-side JS).
  const analyzeMs = timeIt(() => analyze(model), () => undefined);
  const analysis = analyze(model);
  const prunable = analysis.groups.filter((g) => g.prunable);
  const removals = seededRemovals(analysis, { fraction: FRACTION, seed: PLAN_SEED });
  const removed = Object.values(removals).reduce((n, r) => n + r.length, 0);
  const pruneMs = timeIt(() => prune(model, removals), (m) => m.dispose());
  console.log(`analyze: median ${fmt(median(analyzeMs))} ms (runs ${analyzeMs.map((t) => fmt(t)).join(', ')})`);
  console.log(`prune:   median ${fmt(median(pruneMs))} ms (runs ${pruneMs.map((t) => fmt(t)).join(', ')})`);

  const pruned = prune(model, removals);

  // Sanity checks of the pruned model.
  const x = tf.randomNormal([2, MODEL.inputSize, MODEL.inputSize, 3], 0, 1, 'float32', 3);
  const y = pruned.predict(x) as tf.Tensor;
  const values = y.dataSync();
  check(values.every(Number.isFinite), 'pruned output is finite');
  check(tf.util.arraysEqual(y.shape, [2, MODEL.classes]), `pruned output shape ${JSON.stringify(y.shape)}`);
  tf.dispose([x, y]);
  const after = analyze(pruned);
  const afterPrunable = after.groups.filter((g) => g.prunable);
  const sizesMatch =
    afterPrunable.length === prunable.length &&
    prunable.every((g, i) => afterPrunable[i].id === g.id && afterPrunable[i].size === g.size - (removals[g.id]?.length ?? 0));
  check(sizesMatch, `analyze(pruned): ${afterPrunable.length} prunable groups, each ${FRACTION * 100}% smaller`);

  const flops = [countFlops(model).total, countFlops(pruned).total];
  const params = [countParams(model).total, countParams(pruned).total];
  const flopsRatio = flops[0] / flops[1];
  const residual = prunable.filter((g) => g.members.filter((m) => m.role === 'producer').length > 1);
  console.log(
    `model: ${model.layers.length} layers, ${analysis.groups.length} groups (${prunable.length} prunable, ` +
      `${residual.length} Add-coupled with several producers), removed ${removed} channels`,
  );
  console.log(`params ${params[0]} -> ${params[1]}; MACs/example ${flops[0]} -> ${flops[1]} (ratio ${fmt(flopsRatio, 3)})`);

  // Latency per backend, original and pruned interleaved.
  // Plain wasm first: enableWasmTraining() registers kernels globally and is not undone.
  type Row = { backend: string; batch: number; orig: PooledLatency; small: PooledLatency };
  const rows: Row[] = [];
  const profiles: Record<string, Array<Record<string, number>>> = {};
  const WASM_KERNELS = 'wasm + tfjs-prune/wasm kernels';
  for (const label of ['wasm', WASM_KERNELS, 'cpu']) {
    const backend = label === WASM_KERNELS ? 'wasm' : label;
    if (label === WASM_KERNELS) enableWasmTraining();
    if (!(await tf.setBackend(backend))) {
      console.log(`backend ${backend} unavailable: skipped`);
      continue;
    }
    for (const batch of [1, 32]) {
      const settings = LATENCY[backend][batch];
      const [orig, small] = await interleavedLatency([model, pruned], { batchSize: batch, ...settings });
      rows.push({ backend: label, batch, orig, small });
      const speedup = orig.medianMs / small.medianMs;
      console.log(
        `${label} batch ${batch}: original ${fmt(orig.medianMs)} ms (IQR ${fmt(orig.iqrMs)}, n=${orig.samples}), ` +
          `pruned ${fmt(small.medianMs)} ms (IQR ${fmt(small.iqrMs)}, n=${small.samples}), ` +
          `speedup ${fmt(speedup, 2)}x = ${fmt(speedup / flopsRatio, 2)} of the FLOPs ratio; load ${loadavg()}`,
      );
    }
    if (backend === 'wasm') {
      profiles[label] = [];
      for (const m of [model, pruned]) profiles[label].push(await kernelProfile(m, 32, QUICK ? 1 : 3));
    }
  }
  await tf.setBackend('wasm');

  // Markdown for docs/benchmarks.md.
  const lines: string[] = [];
  lines.push(`| step | median (ms) | runs (ms) | target |`, `|---|---|---|---|`);
  lines.push(`| analyze(model) | ${fmt(median(analyzeMs))} | ${analyzeMs.map((t) => fmt(t, 0)).join(', ')} | < 1000 ${median(analyzeMs) < 1000 ? 'met' : 'MISSED'} |`);
  lines.push(`| prune(model, 30% of every prunable group) | ${fmt(median(pruneMs))} | ${pruneMs.map((t) => fmt(t, 0)).join(', ')} | < 1000 ${median(pruneMs) < 1000 ? 'met' : 'MISSED'} |`);
  lines.push('');
  lines.push(`| backend | batch | original (ms) | pruned (ms) | speedup | FLOPs ratio | speedup / FLOPs ratio |`, `|---|---|---|---|---|---|---|`);
  for (const r of rows) {
    const speedup = r.orig.medianMs / r.small.medianMs;
    lines.push(
      `| ${r.backend} | ${r.batch} | ${fmt(r.orig.medianMs)} (IQR ${fmt(r.orig.iqrMs)}, n=${r.orig.samples}) | ` +
        `${fmt(r.small.medianMs)} (IQR ${fmt(r.small.iqrMs)}, n=${r.small.samples}) | ${fmt(speedup, 2)}x | ${fmt(flopsRatio, 2)}x | ${fmt(speedup / flopsRatio, 2)} |`,
    );
  }
  for (const [label, profile] of Object.entries(profiles)) {
    const macs = [macsByClass(model), macsByClass(pruned)];
    const total = Object.values(profile[0]).reduce((a, b) => a + b, 0);
    lines.push(
      '',
      `| ${label} kernel, batch 32 | share of original time | original (ms) | pruned (ms) | speedup | MACs ratio of its layers |`,
      `|---|---|---|---|---|---|`,
    );
    const names = Object.keys(profile[0]).sort((a, b) => profile[0][b] - profile[0][a]);
    for (const name of names) {
      const [a, b] = [profile[0][name], profile[1][name] ?? 0];
      if (a < 0.5) continue;
      const cls = KERNEL_LAYER[name];
      const macsRatio = cls ? `${fmt(macs[0][cls] / macs[1][cls], 2)}x (${cls})` : '-';
      lines.push(`| ${name} | ${fmt((100 * a) / total, 0)}% | ${fmt(a)} | ${fmt(b)} | ${fmt(a / b, 2)}x | ${macsRatio} |`);
    }
  }
  pruned.dispose();
  model.dispose();
  check(tf.memory().numTensors === baseline, `no tensor leak (${tf.memory().numTensors - baseline} extra tensors)`);
  console.log(`\nload average at end ${loadavg()}\n\n${lines.join('\n')}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
