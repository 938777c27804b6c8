/**
 * Deploy benchmark (issue 15): what folding BatchNormalization and storing weights in 8/16 bits
 * give on the two benchmark models.
 *
 *   npm run bench:deploy -- --latency   # MobileNetV2-style and Fashion-MNIST CNN: wasm latency at batch 1 and 32,
 *                                       # unpruned / pruned (30% seeded channels per group), each with and without folding
 *   npm run bench:deploy -- --size      # Fashion-MNIST CNN: train (cached), prune to 50% FLOPs with pruneIteratively,
 *                                       # bytes and test accuracy at float32 / float16 / uint8, and uint8 per layer
 *   add --quick for a smoke run (fewer rounds, 2,000 training images)
 *
 * Both parts run on wasm with tfjs-prune/wasm's kernels (enableWasmTraining). Prints markdown
 * tables to paste into docs/benchmarks.md.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze, countFlops, foldBatchNorm, prune, pruneIteratively, saveQuantized, storedSize, targetFlops } from '../src/index';
import { enableWasmTraining } from '../src/wasm';
import { disposeFashionMnist, loadFashionMnist } from '../examples/data/fashion-mnist';
import { interleavedLatency } from './helpers/interleaved-latency';
import { seededRemovals } from './helpers/seeded-removals';
import { accuracyOf, trainedFmnistCnn } from './helpers/trained-fmnist';
import { buildFmnistCnn } from './models/fmnist-cnn';
import { buildMobileNetV2 } from './models/mobilenet-v2';

const QUICK = process.argv.includes('--quick');
const RUN_LATENCY = process.argv.includes('--latency') || !process.argv.includes('--size');
const RUN_SIZE = process.argv.includes('--size') || !process.argv.includes('--latency');

const fmt = (x: number, d = 2): string => x.toFixed(d);

async function latencyPart(): Promise<void> {
  const cases: Array<[string, () => tf.LayersModel]> = [
    ['MobileNetV2-style (96x96, alpha 1)', () => buildMobileNetV2({ inputSize: 96, alpha: 1.0, classes: 10, seed: 42 })],
    ['Fashion-MNIST CNN', () => buildFmnistCnn({ seed: 0 })],
  ];
  const rows: string[] = [];
  for (const [name, build] of cases) {
    const original = build();
    const pruned = prune(original, seededRemovals(analyze(original), { fraction: 0.3, seed: 7 }));
    const folds = [foldBatchNorm(original), foldBatchNorm(pruned)];
    const models = [original, folds[0].model, pruned, folds[1].model];
    const macs = models.map((m) => countFlops(m).total);
    for (const batchSize of [1, 32]) {
      const settings = batchSize === 1 ? { rounds: QUICK ? 2 : 8, runsPerRound: 10, warmup: 3 } : { rounds: QUICK ? 2 : 10, runsPerRound: 3, warmup: 2 };
      const [u, uf, p, pf] = await interleavedLatency(models, { batchSize, ...settings });
      const flopsRatio = macs[1] / macs[3];
      const speedFolded = uf.medianMs / pf.medianMs;
      rows.push(
        `| ${name} | ${batchSize} | ${fmt(u.medianMs)} | ${fmt(uf.medianMs)} | **${fmt(u.medianMs / uf.medianMs)}x** | ${fmt(p.medianMs)} | ${fmt(pf.medianMs)} | ${fmt(p.medianMs / pf.medianMs)}x | ${fmt(flopsRatio)}x | ${fmt(speedFolded)}x | **${fmt(speedFolded / flopsRatio)}** | ${fmt(u.medianMs / p.medianMs / (macs[0] / macs[2]))} |`,
      );
      console.log(rows[rows.length - 1]);
    }
    console.log(`${name}: ${folds[0].folded.length} BN folded, ${folds[0].unfolded.length} kept (${folds[0].unfolded.map((x) => `${x.layer}: ${x.reason}`).join('; ')})`);
    models.forEach((m) => m.dispose());
  }
  console.log('\n| model | batch | unpruned ms | unpruned folded ms | folding speedup | pruned ms | pruned folded ms | folding speedup | MACs ratio (folded) | speedup folded/folded | speedup / MACs ratio | unfolded: speedup / MACs ratio |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  rows.forEach((r) => console.log(r));
}

/** In-memory save: returns the artifacts saveQuantized wrote. */
function memory(): { handler: tf.io.IOHandler; get: () => tf.io.ModelArtifacts } {
  let saved: tf.io.ModelArtifacts | undefined;
  return { handler: tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), get: () => saved! };
}

async function sizePart(): Promise<void> {
  const data = loadFashionMnist(QUICK ? { trainSize: 2000, validationSize: 500, testSize: 1000 } : {});
  const trained = await trainedFmnistCnn(data, QUICK ? { config: { trainSize: 2000, epochs: 1 } } : {});
  const model = trained.model;
  const compile = { optimizer: () => tf.train.adam(1e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy' as const] };
  const t0 = performance.now();
  const { model: pruned, report } = await pruneIteratively(model, { train: data.train, validation: data.validation }, {
    compile,
    schedule: { channelsPerStep: { fraction: 0.1 }, ranking: 'global' },
    fineTune: { steps: QUICK ? 10 : 100, batchSize: 128, final: { epochs: 1 } },
    stop: targetFlops(0.5),
    deploy: { dtype: 'uint8' },
    seed: 0,
    verbose: true,
  });
  const minutes = (performance.now() - t0) / 60000;
  const dep = report.toJSON().deploy!;
  // `pruned` is folded (the deploy step); unfold nothing: compare its float32, float16 and uint8 storage.
  const rows: string[] = [];
  const row = (name: string, bytes: number, acc: number, base: number, ref: number): void => {
    rows.push(`| ${name} | ${bytes.toLocaleString('en-US')} | ${fmt(base / bytes)}x | ${fmt(100 * acc)} | ${fmt(100 * (trained.testAccuracy - acc))} | ${fmt(100 * (ref - acc))} |`);
  };
  const unprunedSave = memory();
  const u = await saveQuantized(model, unprunedSave.handler, { dtype: 'float32' });
  const jsonBytes = (a: tf.io.ModelArtifacts): number => new TextEncoder().encode(JSON.stringify({ modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] })).byteLength;
  const base = u.weightBytes + jsonBytes(unprunedSave.get());
  const prunedF32 = accuracyOf(pruned, data.test);
  row('unpruned, float32', base, trained.testAccuracy, base, prunedF32);
  const loaded: Record<string, tf.LayersModel> = {};
  for (const dtype of ['float32', 'float16', 'uint8'] as const) {
    const m = memory();
    const r = await saveQuantized(pruned, m.handler, { dtype });
    loaded[dtype] = await tf.loadLayersModel(tf.io.fromMemory(m.get()));
    row(`pruned + folded, ${dtype}`, r.weightBytes + jsonBytes(m.get()), accuracyOf(loaded[dtype], data.test), base, prunedF32);
  }
  console.log(`\npruneIteratively: ${report.toJSON().steps.length} steps, ${minutes.toFixed(1)} min; MACs ${(100 * report.toJSON().final.flops / report.toJSON().baseline.flops).toFixed(1)}% of the original; storedSize float32 ${storedSize(model).bytes}; deploy: ${dep.folded.length} BN folded, ${dep.unfolded.length} kept, ${dep.bytes} bytes at uint8, validation accuracy at uint8 ${dep.metrics.accuracy}`);
  console.log('\n| model | bytes (model.json + weights) | smaller than unpruned float32 | test accuracy % | drop vs unpruned (points) | extra drop vs pruned float32 (points) |');
  console.log('|---|---|---|---|---|---|');
  rows.forEach((r) => console.log(r));

  // uint8 per layer: the float32 pruned model with one layer's weights taken from the uint8 model.
  console.log('\n| layer (uint8 alone, rest float32) | weights | test accuracy % | change vs float32 (points) |');
  console.log('|---|---|---|---|');
  const float32 = memory();
  await saveQuantized(pruned, float32.handler, { dtype: 'float32' });
  for (const layer of pruned.layers) {
    if (layer.weights.length === 0) continue;
    const copy = await tf.loadLayersModel(tf.io.fromMemory(float32.get()));
    copy.getLayer(layer.name).setWeights(loaded.uint8.getLayer(layer.name).getWeights());
    const acc = accuracyOf(copy, data.test);
    console.log(`| ${layer.name} | ${layer.weights.map((w) => w.shape.join('x')).join(', ')} | ${fmt(100 * acc)} | ${fmt(100 * (acc - prunedF32))} |`);
    copy.dispose();
  }
  Object.values(loaded).forEach((m) => m.dispose());
  pruned.dispose();
  model.dispose();
  disposeFashionMnist(data);
}

async function main(): Promise<void> {
  enableWasmTraining();
  await tf.setBackend('wasm');
  await tf.ready();
  console.log(`backend ${tf.getBackend()} (tfjs-prune/wasm kernels), tfjs ${tf.version.tfjs}, node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model}), load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  if (RUN_LATENCY) await latencyPart();
  if (RUN_SIZE) await sizePart();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
