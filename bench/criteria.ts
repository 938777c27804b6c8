/**
 * Criteria benchmark: how well each built-in criterion ranks the channels of a trained
 * Fashion-MNIST CNN against the oracle (Spearman rank correlation, as in Table 1 of Molchanov et
 * al. 2017), and what scoring costs per batch relative to one training step.
 *
 *   npm run bench:criteria              # full run: trains the baseline once (20-35 min on 2 cores,
 *                                       # cached under out/bench/), then about 10 min of measurements
 *   npm run bench:criteria -- --quick   # smoke run (2-4 min): 2,000 training images, 1 epoch, 64 scoring examples
 *
 * Sections: (a) Spearman against oracle-abs and oracle-loss on the scoring examples (the first N
 * validation images), with diagnostics: only channels the oracle sees, the exact per-example loss
 * changes (what Taylor estimates), and the oracle's own reproducibility on the next N validation
 * images; (b) the cost per batch relative to a training step.
 *
 * Flags: `--examples N` (default 512), `--reps R` timed rounds of the cost measurement (default 5),
 * `--batch-sizes 128,32`, `--retrain` (ignore the cached baseline), `--skip-loss-oracle`,
 * `--skip-per-example`, `--skip-reliability`, `--skip-cost`.
 *
 * Prints markdown tables to paste into docs/benchmarks.md, writes out/bench/criteria-{full,quick}.json,
 * and exits non-zero if a sanity check fails (a tensor leaked by a scoring call, a non-finite
 * score or correlation, the evaluated model's weights changed, the oracles or the surgery disagree).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { analyze, countFlops, countParams, criteria, evaluateCriteria, scoreGroups } from '../src/index';
import type { Criterion, EvaluateCriteriaResult, GroupScores } from '../src/index';
import { disposeFashionMnist, loadFashionMnist } from '../examples/data/fashion-mnist';
import { selectBackend } from '../examples/shared/select-backend';
import { costSection } from './helpers/criteria-cost-section';
import { fixedScores, perExampleLossChanges, spearmanRows, summarizeChanges, taylorSumCriterion } from './helpers/criteria-diagnostics';
import { trainedFmnistCnn } from './helpers/trained-fmnist';

/** Value of `--name N` or `--name=N`, else `fallback`. */
function flag(name: string, fallback: string): string {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < args.length) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : fallback;
}
function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer; got ${value}.`);
  return n;
}
const has = (name: string): boolean => process.argv.includes(`--${name}`);

const QUICK = has('quick');
const SETTINGS = {
  trainSize: QUICK ? 2000 : 55_000,
  epochs: QUICK ? 1 : 5,
  testSize: QUICK ? 1000 : 10_000,
  examples: positiveInt('examples', flag('examples', QUICK ? '64' : '512')),
  reps: positiveInt('reps', flag('reps', QUICK ? '1' : '5')),
  batchSizes: flag('batch-sizes', '128,32').split(',').map((b) => positiveInt('batch-sizes', b)),
  retrain: has('retrain'),
  lossOracle: !has('skip-loss-oracle'),
  perExample: !has('skip-per-example'),
  reliability: !has('skip-reliability'),
  cost: !has('skip-cost'),
};
const LOSS = 'categoricalCrossentropy';
/** MACs per example of the benchmark architecture, hand-computed (test/metrics/count-flops.test.ts). */
const EXPECTED_MACS = 7_643_776;
const LAYERS = ['conv1', 'conv2', 'conv3', 'fc1'] as const;

/** The criteria under test, fresh objects each call. */
const criteriaUnderTest = (): Criterion[] => [
  criteria.taylor(),
  criteria.taylorWeight(),
  criteria.activationStd(),
  criteria.meanActivation(),
  criteria.apoz(),
  criteria.l1Norm(),
  criteria.l2Norm(),
  criteria.minWeight(),
  criteria.fpgm(),
  criteria.bnScale({ fallback: criteria.l1Norm() }),
  criteria.random({ seed: 0 }),
];

let failed = false;
function check(ok: boolean, what: string): void {
  if (!ok) {
    failed = true;
    console.error(`CHECK FAILED: ${what}`);
  } else console.log(`check ok: ${what}`);
}

const r2 = (x: number): string => (Number.isNaN(x) ? 'n/a' : x.toFixed(2));
const loadavg = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' / ');
const isDiagnostic = (name: string): boolean => name.includes('(');
const mean = (v: ArrayLike<number>): number => Array.from(v).reduce((a, b) => a + b, 0) / v.length;

function spearmanTable(result: EvaluateCriteriaResult, diagnostics = false): string[] {
  const lines = [`| criterion | perLayer | global | globalNormalized | ${LAYERS.join(' | ')} |`, `|---|---|---|---|${LAYERS.map(() => '---|').join('')}`];
  for (const r of result.rows.filter((row) => isDiagnostic(row.criterion) === diagnostics)) {
    lines.push(`| ${r.criterion} | ${r2(r.perLayer)} | ${r2(r.global)} | ${r2(r.globalNormalized)} | ${LAYERS.map((l) => r2(r.layers[l])).join(' | ')} |`);
  }
  return lines;
}

function perLayerTable(rows: ReturnType<typeof spearmanRows>, header: string[]): string[] {
  return [
    `| criterion | perLayer | ${header.join(' | ')} |`,
    `|---|---|${header.map(() => '---|').join('')}`,
    ...rows.map((r) => `| ${r.criterion} | ${r2(r.perLayer)} | ${r.layers.map(r2).join(' | ')} |`),
  ];
}

/** Per-layer summary of the oracle's loss changes: how big, how many exactly zero. */
function oracleTable(scores: GroupScores): string[] {
  const lines = [`| layer | channels | mean | median | max | exactly 0 |`, `|---|---|---|---|---|---|`];
  for (const id of LAYERS) {
    const v = Array.from(scores[id]).sort((a, b) => a - b);
    const e = (x: number): string => x.toExponential(2);
    lines.push(`| ${id} | ${v.length} | ${e(mean(v))} | ${e(v[v.length >> 1])} | ${e(v[v.length - 1])} | ${v.filter((x) => x === 0).length} |`);
  }
  return lines;
}

/** evaluateCriteria with the sanity checks; prints its table. */
async function evaluate(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, list: Criterion[], oracle: Criterion | undefined, label: string): Promise<EvaluateCriteriaResult> {
  const before = tf.memory().numTensors;
  const result = await evaluateCriteria(model, { x, y }, list, { loss: LOSS, ...(oracle ? { oracle } : {}) });
  console.log(`${label}: shared pass ${result.passSeconds.toFixed(2)} s, oracle ${result.oracleSeconds.toFixed(1)} s`);
  check(tf.memory().numTensors === before, `${label}: no tensor leaked (${tf.memory().numTensors - before} extra)`);
  const bad = result.rows.filter((r) => ![r.perLayer, r.global, r.globalNormalized, ...LAYERS.map((l) => r.layers[l])].every(Number.isFinite));
  check(bad.length === 0, `${label}: every correlation finite${bad.length ? ` (not: ${bad.map((r) => r.criterion).join(', ')})` : ''}`);
  check(Object.values(result.oracleScores).every((v) => v.every(Number.isFinite)), `${label}: oracle scores finite`);
  console.log([...spearmanTable(result), ...spearmanTable(result, true).slice(2)].join('\n'));
  return result;
}

/** Each criterion's normalised scores at evaluateCriteria's default batch size (32): the numbers it compared. */
async function scoresOf(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<Map<string, GroupScores>> {
  const out = new Map<string, GroupScores>();
  for (const c of criteriaUnderTest()) {
    const before = tf.memory().numTensors;
    const scores = await scoreGroups(model, c, { data: { x, y }, loss: LOSS, batchSize: 32 });
    check(tf.memory().numTensors === before && Object.values(scores).every((v) => v.every(Number.isFinite)), `scoreGroups(${c.name}): no leak, finite scores`);
    out.set(c.name, scores);
  }
  return out;
}

async function main(): Promise<void> {
  const started = performance.now();
  const { backend, reason } = await selectBackend();
  const simd = backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : null;
  console.log(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), tfjs ${tf.version.tfjs}, backend ${backend}${simd === null ? '' : ` (simd=${String(simd)})`}`);
  console.log(`settings ${JSON.stringify(SETTINGS)}; load average at start ${loadavg()}`);
  const baseline = tf.memory().numTensors;
  const N = SETTINGS.examples;
  if (N > 5000) throw new Error(`--examples ${N}: the validation split has 5,000 images.`);
  const reliability = SETTINGS.reliability && 2 * N <= 5000;

  const data = loadFashionMnist({ trainSize: SETTINGS.trainSize, validationSize: reliability ? 2 * N : N, testSize: SETTINGS.testSize });
  const trained = await trainedFmnistCnn(data, { config: { trainSize: SETTINGS.trainSize, epochs: SETTINGS.epochs }, retrain: SETTINGS.retrain });
  const { model } = trained;
  const json: Record<string, unknown> = { settings: SETTINGS, backend: reason, node: process.version, tfjs: tf.version.tfjs, model: trained.dir, testAccuracy: trained.testAccuracy };
  const md: string[] = [];
  const x = data.validation.x.slice(0, N);
  const y = data.validation.y.slice(0, N);
  try {
    const macs = countFlops(model).total;
    console.log(`fmnist-cnn: ${macs.toLocaleString('en-US')} MACs per example (project: about 7.8 M), ${countParams(model).total.toLocaleString('en-US')} parameters`);
    check(macs === EXPECTED_MACS, `countFlops(model).total = ${EXPECTED_MACS.toLocaleString('en-US')}`);
    const prunable = analyze(model).groups.filter((g) => g.prunable);
    check(prunable.map((g) => `${g.id}`).join() === LAYERS.join(), `prunable groups are ${prunable.map((g) => `${g.id} (${g.size})`).join(', ')}`);
    const weightsBefore = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
    console.log(`scoring data: the first ${N} validation images (training images 55,000..${55_000 + N - 1})`);

    // (a) Spearman against oracle-abs, with diagnostics.
    const abs = await evaluate(model, x, y, [...criteriaUnderTest(), taylorSumCriterion()], undefined, 'vs oracle-abs');
    md.push(`Against oracle-abs (oracle ${abs.oracleSeconds.toFixed(1)} s, shared data pass ${abs.passSeconds.toFixed(2)} s):`, '', ...spearmanTable(abs));
    md.push('', 'Diagnostic (not a built-in): Taylor without the 1/M, raw values on the oracle scale:', '', ...spearmanTable(abs, true));
    md.push('', 'Oracle-abs loss changes per layer:', '', ...oracleTable(abs.oracleScores));
    json.spearmanAbs = abs;
    const scores = await scoresOf(model, x, y);
    const live = Object.fromEntries(LAYERS.map((l) => [l, Array.from(abs.oracleScores[l].keys()).filter((i) => abs.oracleScores[l][i] !== 0)]));
    const liveRows = spearmanRows(scores, abs.oracleScores, LAYERS, live);
    md.push('', 'Against oracle-abs, only the channels whose removal changes the loss (oracle != 0):', '');
    md.push(...perLayerTable(liveRows, LAYERS.map((l) => `${l} (${live[l].length} of ${abs.oracleScores[l].length})`)));

    if (SETTINGS.lossOracle) {
      const signed = await evaluate(model, x, y, [...criteriaUnderTest(), taylorSumCriterion()], criteria.oracle({ mode: 'loss' }), 'vs oracle-loss');
      md.push('', `Against oracle-loss (oracle ${signed.oracleSeconds.toFixed(1)} s):`, '', ...spearmanTable(signed), ...spearmanTable(signed, true).slice(2));
      json.spearmanLoss = signed;
      const worst = Math.max(...LAYERS.flatMap((l) => Array.from(abs.oracleScores[l], (v, i) => Math.abs(v - Math.abs(signed.oracleScores[l][i])))));
      check(worst <= 1e-6, `|oracle-loss| equals oracle-abs (max difference ${worst.toExponential(1)})`);
      const lower = LAYERS.map((l) => `${l} ${signed.oracleScores[l].filter((v) => v < 0).length}`).join(', ');
      md.push('', `Channels whose removal alone lowers the scoring loss: ${lower}.`);
    }

    if (SETTINGS.perExample) {
      const start = performance.now();
      const changes = await perExampleLossChanges(model, x, y, LOSS);
      const seconds = (performance.now() - start) / 1000;
      const meanAbs = summarizeChanges(changes, (c) => mean(c.map(Math.abs)));
      const absMean = summarizeChanges(changes, (c) => Math.abs(mean(c)));
      const gap = Math.max(...LAYERS.flatMap((l) => Array.from(absMean[l], (v, i) => Math.abs(v - abs.oracleScores[l][i]))));
      check(gap <= 1e-5, `prune() per channel gives the oracle's loss changes (max difference ${gap.toExponential(1)})`);
      const rows = spearmanRows(new Map([...scores, ['oracle-abs (|mean change|)', abs.oracleScores]]), meanAbs, LAYERS);
      const ratio = LAYERS.map((l) => (mean(absMean[l]) / mean(meanAbs[l])).toFixed(2));
      md.push('', `Against the mean absolute per-example loss change E|dC_n| (exact, by prune(): ${seconds.toFixed(0)} s); |E dC| / E|dC| per layer: ${ratio.join(', ')}:`, '');
      md.push(...perLayerTable(rows, [...LAYERS]));
      json.perExample = { rows, ratio };
    }

    if (reliability) {
      const xB = data.validation.x.slice(N, N);
      const yB = data.validation.y.slice(N, N);
      try {
        const taylorA = scores.get('taylor')!;
        const list = [fixedScores(`oracle-abs on examples 1..${N} (ceiling)`, abs.oracleScores), fixedScores(`taylor on examples 1..${N}`, taylorA), ...criteriaUnderTest()];
        const other = await evaluate(model, xB, yB, list, undefined, `vs oracle-abs on validation examples ${N + 1}..${2 * N}`);
        md.push('', `Reproducibility: against oracle-abs on the next ${N} validation images (criteria scored on those too, except the first two rows):`, '');
        md.push(...spearmanTable(other), ...spearmanTable(other, true).slice(2));
        json.reliability = other;
      } finally {
        tf.dispose([xB, yB]);
      }
    }

    // (b) Cost per batch relative to a training step.
    if (SETTINGS.cost) {
      const cost = await costSection(model, trained.modelJson, criteriaUnderTest, { data: { x, y }, loss: LOSS, batchSizes: SETTINGS.batchSizes, reps: SETTINGS.reps, check, log: (l) => console.log(`${l}; load ${loadavg()}`) });
      md.push('', ...cost.lines);
      json.cost = cost.results;
    }

    const weightsAfter = model.getWeights().map((w) => w.dataSync());
    check(weightsAfter.every((w, i) => w.every((v, j) => v === weightsBefore[i][j])), 'the evaluated model is unchanged');
  } finally {
    model.dispose();
    tf.dispose([x, y]);
    disposeFashionMnist(data);
  }
  check(tf.memory().numTensors === baseline, `no tensor left at the end (${tf.memory().numTensors - baseline} extra)`);
  json.seconds = (performance.now() - started) / 1000;
  fs.mkdirSync('out/bench', { recursive: true });
  const file = `out/bench/criteria-${QUICK ? 'quick' : 'full'}${N === 512 || QUICK ? '' : `-n${N}`}.json`;
  fs.writeFileSync(file, JSON.stringify(json, (_, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v), 2));
  console.log(`\nTotal ${(json.seconds as number).toFixed(0)} s; load average at end ${loadavg()}; results in ${file}\n\n${md.join('\n')}`);
  if (failed) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
