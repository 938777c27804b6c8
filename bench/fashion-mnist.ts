/**
 * The loop benchmark (issue "pruneIteratively"), set up exactly as the peer comparison in
 * ../shared/PEERS.md so results compare across libraries:
 *
 * - Data: Fashion-MNIST from Debian's `dataset-fashion-mnist` (`sudo apt-get install -y
 *   dataset-fashion-mnist`): train = first 55,000 training images, validation = last 5,000,
 *   test = t10k, pixels / 255, seed 0.
 * - Model: bench/models/fmnist-cnn.ts (3 x Conv2D+BN+ReLU+MaxPool, Dense 128, Dense 10), trained
 *   with Adam 1e-3, batch 128, 5 epochs (cached under out/bench by bench/helpers/trained-fmnist.ts).
 * - Pruning: `pruneIteratively` with the library's defaults for ranking (`'cost'`: score per MAC
 *   saved) and landing (the step that would cross the target removes only what reaching it
 *   needs), 5% of the remaining prunable channels per step, 100 fine-tune minibatches (batch 128,
 *   Adam 1e-4) between steps, `stop: targetFlops(target)` for each target (0.5 and 0.3: one run
 *   each); then 1 final epoch at Adam 1e-4 (the library's fine-tuner, run after the loop so the
 *   test accuracy at the target can be read first).
 * - Seeds: `--seeds 0,1,2` runs each setting once per seed; the seed is the loop's (data order,
 *   random draws, the random criterion's draws) and the final epoch's order. The baseline is the
 *   same cached model for every seed.
 * - Control: `--control --seeds 0,1,2` fine-tunes the unpruned baseline with the same fine-tuner
 *   and seed for exactly as many minibatches as each saved run of that seed used (steps x 100 +
 *   the final epoch's 430; `--marks 430,1330` for given counts), reading test accuracy at each.
 *   `--variant bn0.9` / `eps1e-8` (combinable) change BatchNormalization's momentum / Adam's
 *   epsilon to PyTorch's defaults.
 * - Recorded: test accuracy before, at the target and after the final epoch; FLOPs and params;
 *   steps and minibatches; seconds in scoring, surgery and fine-tuning; latency of the original
 *   and the pruned model at batch 1 and 128 (interleaved rounds; `--no-latency` skips it).
 *
 * Results go to out/bench/fmnist-runs/<criterion>-<target>-s<seed>.json and control-s<seed>.json,
 * so runs can go in parallel processes and be summarised later:
 *
 *   npm run bench:fashion-mnist -- --run taylor --seeds 0,1,2          both targets, 3 seeds
 *   npm run bench:fashion-mnist -- --run taylor --targets 0.5 --seeds 1
 *   npm run bench:fashion-mnist -- --control --seeds 0,1,2             the control rows
 *   npm run bench:fashion-mnist -- --summary                           markdown tables (mean ± sd)
 *   npm run bench:fashion-mnist -- --quick --run taylor --no-latency   a smoke run on 2,000 images
 *
 * Extra (non-standard) variants, reported separately: `taylor-flops` (Taylor with flopsPenalty 1),
 * `taylor-floor` (Taylor with minChannels 8 per group), `taylor-global` (ranking by score alone,
 * the former default), `taylor-comp` and `obs-comp` (Taylor / structured OBS with `compensate: true`:
 * every step refit on 1,024 unlabeled training images), `taylor-comp-budget` (taylor-comp with
 * `channelsPerStep: { cost: 0.1 }`: every step saves 10% of the current MACs).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { criteria, pruneIteratively, targetFlops, type Criterion, type PruneReportJSON, type ScheduleOptions } from '../src/index';
import { compileModel, disposeModel, resolveCompile } from '../src/finetune/compile-options';
import { runFineTune } from '../src/finetune/run-fine-tune';
import { TrainingStream } from '../src/finetune/training-stream';
import { disposeFashionMnist, loadFashionMnist, type FashionMnistSplit } from '../examples/data/fashion-mnist';
import { selectBackend } from '../examples/shared/select-backend';
import { interleavedLatency } from './helpers/interleaved-latency';
import { accuracyOf, trainedFmnistCnn, type FmnistArchitecture } from './helpers/trained-fmnist';

/** `--model mobilenet`: the residual benchmark (bench/models/fmnist-mobilenet.ts) instead of the CNN. */
const ARCHITECTURE: FmnistArchitecture = process.argv.includes('--model') ? (process.argv[process.argv.indexOf('--model') + 1] as FmnistArchitecture) : 'cnn';
if (ARCHITECTURE !== 'cnn' && ARCHITECTURE !== 'mobilenet') throw new Error(`--model ${String(ARCHITECTURE)}: expected cnn or mobilenet`);
/**
 * Where runs are saved: out/bench/fmnist-runs (out/bench/fmnist-mobilenet-runs with `--model
 * mobilenet`), or `--out <dir>` (e.g. to keep runs of two versions apart).
 */
const OUT = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : ARCHITECTURE === 'cnn' ? 'out/bench/fmnist-runs' : 'out/bench/fmnist-mobilenet-runs';
const QUICK = process.argv.includes('--quick');

/**
 * The baseline of the chosen model: the CNN's 5-epoch recipe; the residual model trains for 2
 * epochs (a wasm training step of it costs about twice the CNN's, and the control row measures
 * what further training alone gives).
 */
function baseline(data: { train: FashionMnistSplit; test: FashionMnistSplit }): ReturnType<typeof trainedFmnistCnn> {
  const config = { ...(ARCHITECTURE === 'mobilenet' ? { epochs: 2 } : {}), ...(QUICK ? { trainSize: 2000, epochs: 1 } : {}) };
  return trainedFmnistCnn(data, { architecture: ARCHITECTURE, config });
}

/** The criteria of a run, by name. */
const VARIANTS: Record<string, { criterion: (seed: number) => Criterion; schedule?: ScheduleOptions; compensate?: boolean; standard: boolean }> = {
  taylor: { criterion: () => criteria.taylor(), standard: true },
  l1Norm: { criterion: () => criteria.l1Norm(), standard: true },
  l2Norm: { criterion: () => criteria.l2Norm(), standard: true },
  random: { criterion: (seed) => criteria.random({ seed }), standard: true },
  'taylor-global': { criterion: () => criteria.taylor(), schedule: { ranking: 'global' }, standard: false },
  'taylor-flops': { criterion: () => criteria.taylor({ flopsPenalty: 1 }), standard: false },
  'taylor-floor': { criterion: () => criteria.taylor(), schedule: { minChannels: 8 }, standard: false },
  // Compensation on (refit + BN statistics after every step, on 1,024 unlabeled training images).
  'taylor-comp': { criterion: () => criteria.taylor(), compensate: true, standard: false },
  'obs-comp': { criterion: () => criteria.obs(), compensate: true, standard: false },
  // Compensation on and a cost budget per step instead of 5% of the channels: every step removes
  // channels until they save 10% of the current MACs (about as many steps to each target).
  'taylor-comp-budget': { criterion: () => criteria.taylor(), schedule: { channelsPerStep: { cost: 0.1 } }, compensate: true, standard: false },
};

/** What one run saves. */
interface RunResult {
  name: string;
  variant: string;
  target: number;
  /** The loop's seed (data order, random draws); the baseline is the same for every seed. */
  seed: number;
  quick: boolean;
  backend: string;
  testBefore: number;
  testAtTarget: number;
  testAfterFinal: number;
  /** Fine-tune minibatches of the run: every step's plus the final epoch's (the control's budget). */
  batches: number;
  finalEpochSeconds: number;
  report: PruneReportJSON;
  latency: Array<{ batch: number; originalMs: number; originalIqr: number; prunedMs: number; prunedIqr: number }>;
  widths: Record<string, number>;
  runSeconds: number;
}

const TARGETS = [0.5, 0.3];
const STEP_BATCHES = QUICK ? 10 : 100;

/** One pruning run of `variant` to `target` with the loop's `seed`, then 1 final epoch. */
async function runCriterion(variant: string, target: number, seed: number): Promise<RunResult> {
  const v = VARIANTS[variant];
  if (!v) throw new Error(`--run ${variant}: expected one of ${Object.keys(VARIANTS).join(', ')}`);
  const started = performance.now();
  const { backend } = await selectBackend();
  const data = loadFashionMnist(QUICK ? { trainSize: 2000, validationSize: 500, testSize: 1000 } : {});
  const trained = await baseline(data);
  const model = trained.model;
  const compile = { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy' as const] };
  try {
    const testBefore = trained.testAccuracy;
    console.log(`${variant} @ ${target}, seed ${seed}: test accuracy before ${(100 * testBefore).toFixed(2)}%`);
    const result = await pruneIteratively(model, { train: data.train, validation: data.validation }, {
      criterion: v.criterion(seed),
      compile,
      schedule: { channelsPerStep: { fraction: 0.05 }, ...v.schedule },
      ...(v.compensate ? { compensate: true } : {}),
      fineTune: { steps: STEP_BATCHES, batchSize: 128 },
      stop: targetFlops(target),
      seed,
      verbose: true,
    });
    const pruned = result.model;
    const full = result.report.toJSON();
    try {
      const testAtTarget = accuracyOf(pruned, data.test);
      console.log(`${variant} @ ${target}, seed ${seed}: ${full.steps.length} steps, ${((100 * full.final.flops) / full.baseline.flops).toFixed(2)}% of the MACs, test accuracy at the target ${(100 * testAtTarget).toFixed(2)}%`);
      // 1 final epoch at Adam 1e-4, batch 128, in a seeded order: the library's fine-tuner.
      compileModel(pruned, resolveCompile(compile, 'bench'));
      const stream = new TrainingStream(pruned, data.train, 128, seed + 1, true);
      const final = await runFineTune(pruned, { steps: 0, epochs: 1 }, stream, { distill: null, teacher: model, loss: 'categoricalCrossentropy' });
      const testAfterFinal = accuracyOf(pruned, data.test);
      console.log(`${variant} @ ${target}, seed ${seed}: test accuracy after the final epoch ${(100 * testAfterFinal).toFixed(2)}% (${final.seconds.toFixed(0)} s)`);
      const latency: RunResult['latency'] = [];
      if (!process.argv.includes('--no-latency')) {
        for (const batch of [1, 128]) {
          const [a, b] = await interleavedLatency([model, pruned], { batchSize: batch, rounds: batch === 1 ? 10 : 5, runsPerRound: batch === 1 ? 5 : 2 });
          latency.push({ batch, originalMs: a.medianMs, originalIqr: a.iqrMs, prunedMs: b.medianMs, prunedIqr: b.iqrMs });
        }
      }
      const batches = full.steps.length * STEP_BATCHES + final.steps;
      return { name: `${variant}:${target}:s${seed}`, variant, target, seed, quick: QUICK, backend, testBefore, testAtTarget, testAfterFinal, batches, finalEpochSeconds: final.seconds, report: full, latency, widths: full.steps[full.steps.length - 1].channels, runSeconds: (performance.now() - started) / 1000 };
    } finally {
      disposeModel(pruned);
    }
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
async function runControl(seed: number, batches: number, marks: number[], variant: string, save: (partial: ControlResult) => void): Promise<ControlResult> {
  const { backend } = await selectBackend();
  const data = loadFashionMnist(QUICK ? { trainSize: 2000, validationSize: 500, testSize: 1000 } : {});
  const trained = await baseline(data);
  const model = trained.model;
  try {
    // Variants of the fine-tuner, to find what a PyTorch fine-tune does differently:
    // 'bn0.9' (BatchNormalization momentum 0.9, PyTorch's default), 'eps1e-8' (Adam's epsilon as in PyTorch).
    const epsilon = variant.includes('eps1e-8') ? 1e-8 : undefined;
    if (variant.includes('bn0.9')) for (const layer of model.layers) if (layer.getClassName() === 'BatchNormalization') (layer as unknown as { momentum: number }).momentum = 0.9;
    const compile = { optimizer: () => tf.train.adam(1e-4, 0.9, 0.999, epsilon), loss: 'categoricalCrossentropy', metrics: ['accuracy' as const] };
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
      // Saved at every mark, so a long control stopped early keeps what it measured.
      save({ name: `control${variant ? `-${variant}` : ''}-s${seed}`, seed, quick: QUICK, backend, variant, testBefore: trained.testAccuracy, curve: [...curve] });
      console.log(`control seed ${seed}${variant ? ` (${variant})` : ''}: ${mark} batches, test accuracy ${(100 * test).toFixed(2)}%`);
    }
    return { name: `control${variant ? `-${variant}` : ''}-s${seed}`, seed, quick: QUICK, backend, variant, testBefore: trained.testAccuracy, curve };
  } finally {
    disposeModel(model);
    disposeFashionMnist(data);
  }
}

const pct = (v: number): string => `${(100 * v).toFixed(2)}`;

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
/** Sample standard deviation (n - 1), as the peer's figures. */
const sd = (v: number[]): number => (v.length < 2 ? NaN : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)));
const pm = (v: number[]): string => (v.length === 0 ? '-' : v.length === 1 ? (100 * v[0]).toFixed(2) : `${(100 * mean(v)).toFixed(2)} ± ${(100 * sd(v)).toFixed(2)}`);

function readRuns<T>(dir: string, prefix: (f: string) => boolean): T[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json') && prefix(f)).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as T) : [];
}

function summary(): string {
  const dir = QUICK ? `${OUT}-quick` : OUT;
  const runs = readRuns<RunResult>(dir, (f) => !f.startsWith('control')).filter((r) => r.seed !== undefined);
  const controls = readRuns<ControlResult>(dir, (f) => f.startsWith('control-s'));
  const controlAt = (seed: number, batches: number): number | undefined => controls.find((c) => c.seed === seed)?.curve.find((p) => p.batches === batches)?.test;
  runs.sort((a, b) => b.target - a.target || Object.keys(VARIANTS).indexOf(a.variant) - Object.keys(VARIANTS).indexOf(b.variant) || a.seed - b.seed);
  const lines: string[] = [];
  lines.push(`| criterion | target | seed | MACs kept | steps | batches | test acc before | at target | after final epoch | drop vs baseline | control (same batches, same seed) | drop vs control | widths ${ARCHITECTURE === 'cnn' ? 'conv1/conv2/conv3/fc1' : 'of the groups'} | scoring+surgery+compensation s | total s | their share |`);
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    const j = r.report;
    const w = r.widths;
    const total = j.seconds.total + r.finalEpochSeconds;
    const overhead = j.seconds.scoring + j.seconds.surgery + (j.seconds.compensation ?? 0);
    const c = controlAt(r.seed, r.batches);
    lines.push(
      `| ${r.variant}${VARIANTS[r.variant]?.standard ? '' : ' (extra)'} | ${r.target} | ${r.seed} | ${pct(j.final.flops / j.baseline.flops)}% | ${j.steps.length} | ${r.batches} | ${pct(r.testBefore)} | ${pct(r.testAtTarget)} | ${pct(r.testAfterFinal)} | ${(100 * (r.testBefore - r.testAfterFinal)).toFixed(2)} | ${c === undefined ? 'not run' : pct(c)} | ${c === undefined ? '-' : (100 * (c - r.testAfterFinal)).toFixed(2)} | ${ARCHITECTURE === 'cnn' ? `${w.conv1}/${w.conv2}/${w.conv3}/${w.fc1}` : Object.entries(w).map(([g, n]) => `${g} ${n}`).join(', ')} | ${overhead.toFixed(1)} | ${total.toFixed(0)} | ${((100 * overhead) / total).toFixed(1)}% |`,
    );
  }
  lines.push('');
  lines.push('| criterion | target | seeds | MACs kept (mean, min-max) | drop vs baseline (mean ± sd) | drop vs control (mean ± sd, seeds with a control) |');
  lines.push('|---|---|---|---|---|---|');
  const keys = [...new Set(runs.map((r) => `${r.variant}|${r.target}`))];
  for (const k of keys) {
    const group = runs.filter((r) => `${r.variant}|${r.target}` === k);
    const kept = group.map((r) => r.report.final.flops / r.report.baseline.flops);
    const vsControl = group.flatMap((r) => {
      const c = controlAt(r.seed, r.batches);
      return c === undefined ? [] : [c - r.testAfterFinal];
    });
    lines.push(`| ${group[0].variant} | ${group[0].target} | ${group.map((r) => r.seed).join(', ')} | ${pct(mean(kept))}% (${pct(Math.min(...kept))}-${pct(Math.max(...kept))}) | ${pm(group.map((r) => r.testBefore - r.testAfterFinal))} | ${vsControl.length === 0 ? 'not run' : `${pm(vsControl)} (${vsControl.length})`} |`);
  }
  lines.push('');
  const allControls = readRuns<ControlResult>(dir, (f) => f.startsWith('control')).sort((a, b) => a.variant.localeCompare(b.variant) || a.seed - b.seed);
  lines.push('| control | seed | test accuracy after N batches (baseline ' + (allControls[0] ? pct(allControls[0].testBefore) : '-') + ') |');
  lines.push('|---|---|---|');
  for (const c of allControls) lines.push(`| ${c.variant || 'library default'} | ${c.seed} | ${c.curve.map((p) => `${p.batches}: ${pct(p.test)}`).join(', ')} |`);
  const timed = runs.filter((r) => r.latency.length > 0);
  if (timed.length > 0) {
    lines.push('');
    lines.push('| criterion | target | seed | batch | original ms (IQR) | pruned ms (IQR) | speedup | FLOPs ratio |');
    lines.push('|---|---|---|---|---|---|---|---|');
    for (const r of timed) {
      for (const l of r.latency) {
        lines.push(`| ${r.variant} | ${r.target} | ${r.seed} | ${l.batch} | ${l.originalMs.toFixed(2)} (${l.originalIqr.toFixed(2)}) | ${l.prunedMs.toFixed(2)} (${l.prunedIqr.toFixed(2)}) | ${(l.originalMs / l.prunedMs).toFixed(2)}x | ${(r.report.baseline.flops / r.report.final.flops).toFixed(2)}x |`);
      }
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
  fs.mkdirSync(dir, { recursive: true });
  if (process.argv.includes('--control')) {
    for (const seed of seeds) {
      // `--marks runs`: exactly the batch counts of the saved runs of this seed (the control row).
      const given = arg('--marks') ?? 'runs';
      const marks = given === 'runs'
        ? readRuns<RunResult>(dir, (f) => !f.startsWith('control')).filter((r) => r.seed === seed).map((r) => r.batches)
        : given.split(',').map(Number);
      if (marks.length === 0) throw new Error(`--control: no saved run of seed ${seed} to match; give --marks 430,1330,...`);
      // Keep the marks of an earlier control of this seed that this one did not measure.
      const file = path.join(dir, `control${arg('--variant') ? `-${arg('--variant')}` : ''}-s${seed}.json`);
      const old = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as ControlResult).curve : [];
      const save = (r: ControlResult): void => {
        r.curve = [...old.filter((p) => !r.curve.some((q) => q.batches === p.batches)), ...r.curve].sort((a, b) => a.batches - b.batches);
        fs.writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
      };
      await runControl(seed, Math.max(...marks), marks, arg('--variant') ?? '', save);
    }
    return;
  }
  const specs: string[] = [];
  const at = process.argv.indexOf('--run');
  if (at >= 0) specs.push(...process.argv[at + 1].split(','));
  if (process.argv.includes('--all')) specs.push('taylor', 'l1Norm', 'l2Norm', 'random');
  if (specs.length === 0) throw new Error('Give --run <criterion>[,...], --all, --control or --summary (see the header of bench/fashion-mnist.ts).');
  const targets = (arg('--targets') ?? TARGETS.join(',')).split(',').map(Number);
  for (const seed of seeds) {
    for (const spec of specs) {
      for (const target of targets) {
        const before = tf.memory().numTensors;
        const r = await runCriterion(spec, target, seed);
        if (tf.memory().numTensors !== before) throw new Error(`${spec}: ${tf.memory().numTensors - before} tensors leaked`);
        fs.writeFileSync(path.join(dir, `${r.variant}-${r.target}-s${seed}.json`), `${JSON.stringify(r, null, 2)}\n`);
        console.log(`${spec} @ ${target}, seed ${seed}: saved (${r.runSeconds.toFixed(0)} s)`);
      }
    }
  }
  console.log(summary());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
