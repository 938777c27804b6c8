/**
 * The learned pruning agent (learnToPrune, Huang et al. 2018) on the Fashion-MNIST benchmark model
 * of bench/fashion-mnist.ts, against Taylor pruning (pruneIteratively) at the same FLOPs.
 *
 * For each bound b in {0.5, 1, 2} accuracy points: learnToPrune with Adam 1e-4 and 100 fine-tune
 * minibatches of 128 after each layer (the loop benchmark's budget per step), agents with their
 * defaults (8 samples per update, 40 updates per layer, 512 validation examples per candidate);
 * then 1 final epoch. Then pruneIteratively with Taylor (5% of the remaining channels per step,
 * the same fine-tuning per step) until its FLOPs are at most the agent's, and the same final epoch.
 * Recorded: filters and FLOPs removed, test accuracy before / after pruning / after the final
 * epoch, wall time of each phase.
 *
 *   npm run bench:agent -- --run 1          one bound (in accuracy points), agent then Taylor
 *   npm run bench:agent -- --summary        markdown tables from the saved runs
 *   npm run bench:agent -- --quick --run 1  a smoke run on 2,000 images
 *
 * Runs are saved to out/bench/agent-runs/b<points>.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { criteria, learnToPrune, pruneIteratively, targetFlops, type PruneReportJSON } from '../src/index';
import { compileModel, resolveCompile } from '../src/finetune/compile-options';
import { runFineTune } from '../src/finetune/run-fine-tune';
import { TrainingStream } from '../src/finetune/training-stream';
import { disposeFashionMnist, loadFashionMnist, type FashionMnistSplit } from '../examples/data/fashion-mnist';
import { selectBackend } from '../examples/shared/select-backend';
import { accuracyOf, trainedFmnistCnn } from './helpers/trained-fmnist';

const QUICK = process.argv.includes('--quick');
const OUT = QUICK ? 'out/bench/agent-runs-quick' : 'out/bench/agent-runs';

interface MethodResult {
  testAfterPruning: number;
  testAfterFinal: number;
  seconds: { total: number; agentOrScoring: number; surgery: number; fineTune: number; finalEpoch: number };
  report: PruneReportJSON;
}

interface AgentRun {
  points: number;
  quick: boolean;
  backend: string;
  testBefore: number;
  agent: MethodResult;
  taylor: MethodResult;
}

const compile = { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy' as const] };

/** 1 final epoch at Adam 1e-4, batch 128, seeded order (the library's fine-tuner); returns seconds. */
async function finalEpoch(model: tf.LayersModel, teacher: tf.LayersModel, train: FashionMnistSplit): Promise<number> {
  compileModel(model, resolveCompile(compile, 'bench'));
  const stream = new TrainingStream(model, train, 128, 1, true);
  return (await runFineTune(model, { steps: 0, epochs: 1 }, stream, { distill: null, teacher, loss: 'categoricalCrossentropy' })).seconds;
}

async function runOne(points: number): Promise<AgentRun> {
  const { backend } = await selectBackend();
  const data = loadFashionMnist(QUICK ? { trainSize: 2000, validationSize: 600, testSize: 1000 } : {});
  const trained = await trainedFmnistCnn(data, QUICK ? { config: { trainSize: 2000, epochs: 1 } } : {});
  const model = trained.model;
  const steps = QUICK ? 10 : 100;
  try {
    const split = { train: data.train, validation: data.validation };
    const method = async (run: () => Promise<{ model: tf.LayersModel; report: { toJSON(): PruneReportJSON } }>): Promise<MethodResult> => {
      const start = performance.now();
      const { model: small, report } = await run();
      try {
        const testAfterPruning = accuracyOf(small, data.test);
        const finalSeconds = await finalEpoch(small, model, data.train);
        const json = report.toJSON();
        return {
          testAfterPruning,
          testAfterFinal: accuracyOf(small, data.test),
          seconds: { total: (performance.now() - start) / 1000, agentOrScoring: json.seconds.scoring, surgery: json.seconds.surgery, fineTune: json.seconds.fineTune, finalEpoch: finalSeconds },
          report: json,
        };
      } finally {
        small.dispose();
      }
    };
    console.log(`b = ${points} points: learnToPrune`);
    const agent = await method(() =>
      learnToPrune(model, split, {
        compile,
        b: points / 100,
        fineTune: { steps, batchSize: 128 },
        agent: QUICK ? { updatesPerLayer: 5, evaluationExamples: 256 } : {},
        verbose: true,
      }),
    );
    const ratio = agent.report.final.flops / agent.report.baseline.flops;
    console.log(`b = ${points} points: Taylor to ${(100 * ratio).toFixed(1)}% FLOPs`);
    const taylor =
      ratio < 0.999
        ? await method(() =>
            pruneIteratively(model, split, {
              criterion: criteria.taylor(),
              compile,
              schedule: { channelsPerStep: { fraction: 0.05 } },
              fineTune: { steps, batchSize: 128 },
              stop: targetFlops(ratio),
              verbose: true,
            }),
          )
        : agent;
    return { points, quick: QUICK, backend, testBefore: trained.testAccuracy, agent, taylor };
  } finally {
    model.dispose();
    disposeFashionMnist(data);
  }
}

const pct = (v: number): string => (100 * v).toFixed(2);

function summary(): string {
  const runs: AgentRun[] = fs.existsSync(OUT)
    ? fs.readdirSync(OUT).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(OUT, f), 'utf8')) as AgentRun)
    : [];
  runs.sort((a, b) => a.points - b.points);
  const lines = [
    '| b (points) | method | filters kept conv1/conv2/conv3/fc1 | MACs kept | params kept | test acc after pruning | after final epoch | drop | agent or scoring s | fine-tune s | total s |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of runs) {
    for (const [name, m] of [['agent', r.agent], ['Taylor', r.taylor]] as const) {
      const j = m.report;
      const w = j.steps.length > 0 ? j.steps[j.steps.length - 1].channels : {};
      lines.push(
        `| ${r.points} | ${name} | ${w.conv1}/${w.conv2}/${w.conv3}/${w.fc1} | ${pct(j.final.flops / j.baseline.flops)}% | ${pct(j.final.params / j.baseline.params)}% | ${pct(m.testAfterPruning)} | ${pct(m.testAfterFinal)} | ${(100 * (r.testBefore - m.testAfterFinal)).toFixed(2)} | ${m.seconds.agentOrScoring.toFixed(0)} | ${(m.seconds.fineTune + m.seconds.finalEpoch).toFixed(0)} | ${m.seconds.total.toFixed(0)} |`,
      );
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (process.argv.includes('--summary')) {
    console.log(summary());
    return;
  }
  const at = process.argv.indexOf('--run');
  if (at < 0) throw new Error('Give --run <points>[,<points>...] or --summary (see the header of bench/agent.ts).');
  fs.mkdirSync(OUT, { recursive: true });
  for (const points of process.argv[at + 1].split(',').map(Number)) {
    if (!(points > 0)) throw new Error(`--run: bounds are positive accuracy points, e.g. 1; got ${points}`);
    const before = tf.memory().numTensors;
    const run = await runOne(points);
    if (tf.memory().numTensors !== before) throw new Error(`b=${points}: ${tf.memory().numTensors - before} tensors leaked`);
    fs.writeFileSync(path.join(OUT, `b${points}.json`), `${JSON.stringify(run, null, 2)}\n`);
    console.log(`b = ${points}: saved`);
  }
  console.log(summary());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
