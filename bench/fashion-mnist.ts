/**
 * The loop benchmark (issue "pruneIteratively"), set up exactly as the peer comparison in
 * ../shared/PEERS.md so results compare across libraries:
 *
 * - Data: Fashion-MNIST from Debian's `dataset-fashion-mnist` (`sudo apt-get install -y
 *   dataset-fashion-mnist`): train = first 55,000 training images, validation = last 5,000,
 *   test = t10k, pixels / 255, seed 0.
 * - Model: bench/models/fmnist-cnn.ts (3 x Conv2D+BN+ReLU+MaxPool, Dense 128, Dense 10), trained
 *   with Adam 1e-3, batch 128, 5 epochs (cached under out/bench by bench/helpers/trained-fmnist.ts).
 * - Pruning: `pruneIteratively`, global ranking, 5% of the remaining prunable channels per step,
 *   100 fine-tune minibatches (batch 128, Adam 1e-4) between steps, until FLOPs <= 50% (and, in a
 *   second run, 30%) of the original; then 1 final epoch at Adam 1e-4 (the library's fine-tuner,
 *   run after the loop so the test accuracy at the target can be read first).
 * - Recorded: test accuracy before, at the target and after the final epoch; FLOPs and params;
 *   steps; seconds in scoring, surgery and fine-tuning; latency of the original and the pruned
 *   model at batch 1 and 128 (interleaved rounds).
 *
 * One pruning run per criterion goes to the lowest target (30%); the model of the first step at or
 * below each higher target (50%) is captured on the way (through a checkpoint store), which is the
 * model a run stopped by targetFlops(0.5) returns, since runs are deterministic. Each target's model
 * then gets its own final epoch. Results go to out/bench/fmnist-runs/<criterion>-<target>.json, so
 * criteria can run in parallel processes and be summarised later:
 *
 *   npm run bench:fashion-mnist -- --run taylor          one criterion, both targets
 *   npm run bench:fashion-mnist -- --all                 the 4 standard criteria, one after the other
 *   npm run bench:fashion-mnist -- --summary             markdown tables from the saved runs
 *   npm run bench:fashion-mnist -- --quick --run taylor  a smoke run on 2,000 images
 *
 * Extra (non-standard) variants, reported separately: `taylor-flops` (Taylor with flopsPenalty 1),
 * `taylor-floor` (Taylor with minChannels 8 per group).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { criteria, modelFromArtifacts, pruneIteratively, targetFlops, type CheckpointStore, type Criterion, type PruneReportJSON, type ScheduleOptions } from '../src/index';
import { compileModel, disposeModel, resolveCompile } from '../src/finetune/compile-options';
import { runFineTune } from '../src/finetune/run-fine-tune';
import { TrainingStream } from '../src/finetune/training-stream';
import { disposeFashionMnist, loadFashionMnist } from '../examples/data/fashion-mnist';
import { selectBackend } from '../examples/shared/select-backend';
import { interleavedLatency } from './helpers/interleaved-latency';
import { accuracyOf, trainedFmnistCnn } from './helpers/trained-fmnist';

/** Where runs are saved: out/bench/fmnist-runs, or `--out <dir>` (e.g. to keep runs of two versions apart). */
const OUT = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : 'out/bench/fmnist-runs';
const QUICK = process.argv.includes('--quick');

/** The criteria of a run, by name. */
const VARIANTS: Record<string, { criterion: () => Criterion; schedule?: ScheduleOptions; standard: boolean }> = {
  taylor: { criterion: () => criteria.taylor(), standard: true },
  l1Norm: { criterion: () => criteria.l1Norm(), standard: true },
  l2Norm: { criterion: () => criteria.l2Norm(), standard: true },
  random: { criterion: () => criteria.random({ seed: 0 }), standard: true },
  'taylor-flops': { criterion: () => criteria.taylor({ flopsPenalty: 1 }), standard: false },
  'taylor-floor': { criterion: () => criteria.taylor(), schedule: { minChannels: 8 }, standard: false },
};

/** What one run saves. */
interface RunResult {
  name: string;
  variant: string;
  target: number;
  quick: boolean;
  backend: string;
  testBefore: number;
  testAtTarget: number;
  testAfterFinal: number;
  finalEpochSeconds: number;
  report: PruneReportJSON;
  latency: Array<{ batch: number; originalMs: number; originalIqr: number; prunedMs: number; prunedIqr: number }>;
  widths: Record<string, number>;
  runSeconds: number;
}

const TARGETS = [0.5, 0.3];

async function runCriterion(variant: string): Promise<RunResult[]> {
  const v = VARIANTS[variant];
  if (!v) throw new Error(`--run ${variant}: expected one of ${Object.keys(VARIANTS).join(', ')}`);
  const started = performance.now();
  const { backend } = await selectBackend();
  const data = loadFashionMnist(QUICK ? { trainSize: 2000, validationSize: 500, testSize: 1000 } : {});
  const trained = await trainedFmnistCnn(data, QUICK ? { config: { trainSize: 2000, epochs: 1 } } : {});
  const model = trained.model;
  const compile = { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy' as const] };
  // The model after the first step at or below each target (the checkpoint of that step).
  const captured = new Map<number, { artifacts: tf.io.ModelArtifacts; step: number }>();
  const capture: CheckpointStore = {
    async save(cp) {
      const state = cp.state as { history: Array<{ flops: number }>; baseline: { flops: number } };
      const last = state.history[state.history.length - 1];
      for (const t of TARGETS) if (last && !captured.has(t) && last.flops <= t * state.baseline.flops) captured.set(t, { artifacts: cp.model, step: cp.step });
    },
    load: async () => null,
    clear: async () => undefined,
  };
  const lowest = Math.min(...TARGETS);
  try {
    const testBefore = trained.testAccuracy;
    console.log(`${variant}: test accuracy before ${(100 * testBefore).toFixed(2)}%`);
    const result = await pruneIteratively(model, { train: data.train, validation: data.validation }, {
      criterion: v.criterion(),
      compile,
      schedule: { channelsPerStep: { fraction: 0.05 }, ranking: 'global', ...v.schedule },
      fineTune: { steps: QUICK ? 10 : 100, batchSize: 128 },
      stop: targetFlops(lowest),
      checkpoint: capture,
      seed: 0,
      verbose: true,
    });
    result.model.dispose();
    const full = result.report.toJSON();
    const out: RunResult[] = [];
    for (const target of TARGETS) {
      const c = captured.get(target);
      if (!c) throw new Error(`${variant}: no step reached ${target} of the FLOPs`);
      const steps = full.steps.slice(0, c.step);
      const sum = (k: 'scoring' | 'surgery' | 'fineTune' | 'evaluation') => steps.reduce((n, r) => n + r.seconds[k], 0);
      const last = steps[steps.length - 1];
      const seconds = { scoring: sum('scoring'), surgery: sum('surgery'), fineTune: sum('fineTune'), evaluation: sum('evaluation'), total: 0 };
      seconds.total = seconds.scoring + seconds.surgery + seconds.fineTune + seconds.evaluation;
      const pruned = await modelFromArtifacts(c.artifacts);
      try {
        const testAtTarget = accuracyOf(pruned, data.test);
        console.log(`${variant} @ ${target}: step ${c.step}, test accuracy at the target ${(100 * testAtTarget).toFixed(2)}%`);
        // 1 final epoch at Adam 1e-4, batch 128, seeded order: the library's fine-tuner.
        compileModel(pruned, resolveCompile(compile, 'bench'));
        const stream = new TrainingStream(pruned, data.train, 128, 1, true);
        const final = await runFineTune(pruned, { steps: 0, epochs: 1 }, stream, { distill: null, teacher: model, loss: 'categoricalCrossentropy' });
        const testAfterFinal = accuracyOf(pruned, data.test);
        console.log(`${variant} @ ${target}: test accuracy after the final epoch ${(100 * testAfterFinal).toFixed(2)}% (${final.seconds.toFixed(0)} s)`);
        const latency: RunResult['latency'] = [];
        for (const batch of [1, 128]) {
          const [a, b] = await interleavedLatency([model, pruned], { batchSize: batch, rounds: batch === 1 ? 10 : 5, runsPerRound: batch === 1 ? 5 : 2 });
          latency.push({ batch, originalMs: a.medianMs, originalIqr: a.iqrMs, prunedMs: b.medianMs, prunedIqr: b.iqrMs });
        }
        const report: PruneReportJSON = {
          ...full,
          steps,
          final: { params: last.params, flops: last.flops, metrics: last.metricsAfterFineTune },
          stoppedBy: `targetFlops(${target})`,
          seconds,
        };
        out.push({ name: `${variant}:${target}`, variant, target, quick: QUICK, backend, testBefore, testAtTarget, testAfterFinal, finalEpochSeconds: final.seconds, report, latency, widths: last.channels, runSeconds: (performance.now() - started) / 1000 });
      } finally {
        disposeModel(pruned);
      }
    }
    return out;
  } finally {
    model.dispose();
    disposeFashionMnist(data);
  }
}

/** One control run: the unpruned baseline fine-tuned like the loop does, test accuracy every few batches. */
interface ControlResult {
  name: string;
  seed: number;
  quick: boolean;
  backend: string;
  /** What differs from the library's default fine-tuner (empty: the default). */
  variant: string;
  testBefore: number;
  /** Test accuracy after this many fine-tune batches. */
  curve: Array<{ batches: number; test: number; seconds: number }>;
}

/**
 * The control: the unpruned baseline, compiled with the loop's optimizer (Adam 1e-4) and trained
 * with the library's fine-tuner (`runFineTune`, batch 128, seeded order) for `batches` minibatches,
 * no pruning. Test accuracy is read at every multiple of `every` batches and at each of `marks`.
 */
async function runControl(seed: number, batches: number, marks: number[], variant: string): Promise<ControlResult> {
  const { backend } = await selectBackend();
  const data = loadFashionMnist(QUICK ? { trainSize: 2000, validationSize: 500, testSize: 1000 } : {});
  const trained = await trainedFmnistCnn(data, QUICK ? { config: { trainSize: 2000, epochs: 1 } } : {});
  const model = trained.model;
  try {
    const compile = { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy' as const] };
    compileModel(model, resolveCompile(compile, 'bench'));
    const stream = new TrainingStream(model, data.train, 128, seed, true);
    const curve: ControlResult['curve'] = [];
    const started = performance.now();
    let done = 0;
    for (const mark of [...new Set(marks)].filter((m) => m <= batches).sort((a, b) => a - b)) {
      await runFineTune(model, { steps: mark - done, epochs: 0 }, stream, { distill: null, teacher: model, loss: 'categoricalCrossentropy' });
      done = mark;
      const test = accuracyOf(model, data.test);
      curve.push({ batches: mark, test, seconds: (performance.now() - started) / 1000 });
      console.log(`control seed ${seed}${variant ? ` (${variant})` : ''}: ${mark} batches, test accuracy ${(100 * test).toFixed(2)}%`);
    }
    return { name: `control${variant ? `-${variant}` : ''}-s${seed}`, seed, quick: QUICK, backend, variant, testBefore: trained.testAccuracy, curve };
  } finally {
    disposeModel(model);
    disposeFashionMnist(data);
  }
}

const pct = (v: number): string => `${(100 * v).toFixed(2)}`;

function summary(): string {
  const dir = QUICK ? `${OUT}-quick` : OUT;
  const runs: RunResult[] = fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as RunResult)
    : [];
  runs.sort((a, b) => b.target - a.target || Object.keys(VARIANTS).indexOf(a.variant) - Object.keys(VARIANTS).indexOf(b.variant));
  const lines: string[] = [];
  lines.push('| criterion | target | MACs kept | params kept | steps | test acc before | at target | after final epoch | drop | widths conv1/conv2/conv3/fc1 | scoring s | surgery s | fine-tune s | total s | scoring+surgery share |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    const j = r.report;
    const w = r.widths;
    const total = j.seconds.total + r.finalEpochSeconds;
    lines.push(
      `| ${r.variant}${VARIANTS[r.variant]?.standard ? '' : ' (extra)'} | ${r.target} | ${pct(j.final.flops / j.baseline.flops)}% | ${pct(j.final.params / j.baseline.params)}% | ${j.steps.length} | ${pct(r.testBefore)} | ${pct(r.testAtTarget)} | ${pct(r.testAfterFinal)} | ${(100 * (r.testBefore - r.testAfterFinal)).toFixed(2)} | ${w.conv1}/${w.conv2}/${w.conv3}/${w.fc1} | ${j.seconds.scoring.toFixed(1)} | ${j.seconds.surgery.toFixed(1)} | ${(j.seconds.fineTune + r.finalEpochSeconds).toFixed(0)} | ${total.toFixed(0)} | ${((100 * (j.seconds.scoring + j.seconds.surgery)) / total).toFixed(1)}% |`,
    );
  }
  lines.push('');
  lines.push('| criterion | target | batch | original ms (IQR) | pruned ms (IQR) | speedup | FLOPs ratio |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const r of runs) {
    for (const l of r.latency) {
      lines.push(`| ${r.variant} | ${r.target} | ${l.batch} | ${l.originalMs.toFixed(2)} (${l.originalIqr.toFixed(2)}) | ${l.prunedMs.toFixed(2)} (${l.prunedIqr.toFixed(2)}) | ${(l.originalMs / l.prunedMs).toFixed(2)}x | ${(r.report.baseline.flops / r.report.final.flops).toFixed(2)}x |`);
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const dir = QUICK ? `${OUT}-quick` : OUT;
  if (process.argv.includes('--summary')) {
    console.log(summary());
    return;
  }
  const arg = (name: string): string | undefined => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
  const seeds = (arg('--seeds') ?? '0').split(',').map(Number);
  if (process.argv.includes('--control')) {
    const marks = (arg('--marks') ?? '100,200,300,430,600,900,1330').split(',').map(Number);
    fs.mkdirSync(dir, { recursive: true });
    for (const seed of seeds) {
      const r = await runControl(seed, Math.max(...marks), marks, '');
      fs.writeFileSync(path.join(dir, `${r.name}.json`), `${JSON.stringify(r, null, 2)}\n`);
    }
    return;
  }
  const specs: string[] = [];
  const at = process.argv.indexOf('--run');
  if (at >= 0) specs.push(...process.argv[at + 1].split(','));
  if (process.argv.includes('--all')) specs.push('taylor', 'l1Norm', 'l2Norm', 'random');
  if (specs.length === 0) throw new Error('Give --run <criterion>[,...], --all or --summary (see the header of bench/fashion-mnist.ts).');
  fs.mkdirSync(dir, { recursive: true });
  for (const spec of specs) {
    const before = tf.memory().numTensors;
    const results = await runCriterion(spec);
    if (tf.memory().numTensors !== before) throw new Error(`${spec}: ${tf.memory().numTensors - before} tensors leaked`);
    for (const r of results) fs.writeFileSync(path.join(dir, `${r.variant}-${r.target}.json`), `${JSON.stringify(r, null, 2)}\n`);
    console.log(`${spec}: saved (${results[results.length - 1].runSeconds.toFixed(0)} s)`);
  }
  console.log(summary());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
