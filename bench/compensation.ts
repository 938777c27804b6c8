/**
 * One-shot, training-free pruning of the Fashion-MNIST benchmark CNN (the cached 5-epoch baseline
 * of bench/fashion-mnist.ts), the protocol of the compensation issue: the same fraction of every
 * prunable group removed at once, chosen by L2 norm or by structured OBS (`criteria.obs()` scored
 * on the calibration images), then test accuracy and top-1 agreement with the unpruned model:
 * with the channels simply removed, with BatchNorm statistics corrected, with the full
 * compensation (refit + BN), and after one fine-tune epoch (430 batches of 128, Adam 1e-4). Every
 * step uses the same 1,024 unlabeled training images.
 *
 *   npx tsx bench/compensation.ts                 # the Fashion-MNIST table
 *   npx tsx bench/compensation.ts --one-shot      # the same without the fine-tune epoch
 *   npx tsx bench/compensation.ts --mobilenet     # time: 30% of MobileNetV2 at 96x96, 1,024 samples
 */
import * as tf from '@tensorflow/tfjs';
import { analyze, countFlops, criteria, prune, scoreGroups, type GroupScores, type Removals } from '../src/index';
import { disposeFashionMnist, loadFashionMnist, type FashionMnistSplit } from '../examples/data/fashion-mnist';
import { selectBackend } from '../examples/shared/select-backend';
import { accuracyOf, trainedFmnistCnn } from './helpers/trained-fmnist';
import { buildMobileNetV2 } from './models/mobilenet-v2';

/** The lowest-scoring `fraction` of every prunable group. */
function perLayer(model: tf.LayersModel, scores: GroupScores, fraction: number): Removals {
  const removals: Removals = {};
  for (const g of analyze(model).groups.filter((x) => x.prunable)) {
    const s = scores[g.id];
    const order = Array.from(s.keys()).sort((a, b) => s[a] - s[b]);
    removals[g.id] = order.slice(0, Math.floor(fraction * g.size));
  }
  return removals;
}

/** Top-1 agreement of two classifiers on `x`. */
function agreement(a: tf.LayersModel, b: tf.LayersModel, x: tf.Tensor): number {
  return tf.tidy(() => {
    const pa = (a.predict(x, { batchSize: 500 }) as tf.Tensor).argMax(-1);
    const pb = (b.predict(x, { batchSize: 500 }) as tf.Tensor).argMax(-1);
    return pa.equal(pb).mean().dataSync()[0];
  });
}

async function fineTuneEpoch(model: tf.LayersModel, train: FashionMnistSplit): Promise<number> {
  model.compile({ optimizer: tf.train.adam(1e-4), loss: 'categoricalCrossentropy' });
  const t0 = performance.now();
  await model.fit(train.x, train.y, { epochs: 1, batchSize: 128, shuffle: true, verbose: 0 });
  return (performance.now() - t0) / 1000;
}

async function fashionMnist(): Promise<void> {
  const data = loadFashionMnist();
  const trained = await trainedFmnistCnn(data);
  const model = trained.model;
  const calibration = data.train.x.slice(0, 1024);
  const base = countFlops(model).total;
  console.log(`baseline test accuracy ${(100 * trained.testAccuracy).toFixed(2)}%`);
  const l2 = await scoreGroups(model, criteria.l2Norm());
  let t0 = performance.now();
  const obs = await scoreGroups(model, criteria.obs(), { data: { x: calibration } });
  console.log(`obs scoring on 1,024 images: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const acc = (m: tf.LayersModel): string => `${(100 * accuracyOf(m, data.test)).toFixed(2)} (${(100 * agreement(model, m, data.test.x)).toFixed(1)})`;
  console.log('test accuracy % (top-1 agreement with the unpruned model %)');
  console.log('| fraction per layer | MACs | selection | removed only | + BN statistics | + refit + BN | + 1 epoch (430 batches) | compensation s | epoch s |');
  console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const fraction of [0.3, 0.45]) {
    for (const [name, scores] of [['L2', l2], ['OBS', obs]] as const) {
      const removals = perLayer(model, scores, fraction);
      const plain = prune(model, removals);
      const macs = countFlops(plain).total / base;
      const bn = await prune(model, removals, { compensate: { data: { x: calibration }, refit: false } });
      t0 = performance.now();
      const full = await prune(model, removals, { compensate: { data: { x: calibration } } });
      const seconds = (performance.now() - t0) / 1000;
      const row = [fraction, `${(100 * macs).toFixed(1)}%`, name, acc(plain), acc(bn), acc(full)];
      if (process.argv.includes('--one-shot')) {
        console.log(`| ${[...row, '-', seconds.toFixed(1), '-'].join(' | ')} |`);
      } else {
        const epoch = await fineTuneEpoch(full, data.train);
        console.log(`| ${[...row, acc(full), seconds.toFixed(1), epoch.toFixed(0)].join(' | ')} |`);
      }
      [plain, bn, full].forEach((m) => m.dispose());
    }
  }
  calibration.dispose();
  model.dispose();
  disposeFashionMnist(data);
}

/** Cost only: an untrained MobileNetV2-style model and random samples (the time does not depend on the values). */
async function mobileNet(): Promise<void> {
  const model = buildMobileNetV2({ inputSize: 96, alpha: 1.0, classes: 10, seed: 42 });
  const x = tf.randomNormal([1024, 96, 96, 3], 0, 1, 'float32', 7);
  const l1 = await scoreGroups(model, criteria.l1Norm());
  const removals = perLayer(model, l1, 0.3);
  const base = countFlops(model).total;
  let t0 = performance.now();
  const plain = prune(model, removals);
  const surgery = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const fixed = await prune(model, removals, { compensate: { data: { x } } });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`MobileNetV2 96x96: ${model.layers.length} layers, MACs ${(100 * countFlops(plain).total / base).toFixed(1)}% after 30% per group; surgery ${surgery.toFixed(1)} s; compensation on 1,024 samples ${seconds.toFixed(1)} s`);
  t0 = performance.now();
  await scoreGroups(model, criteria.obs(), { data: { x: x.slice(0, 256) } });
  console.log(`obs scoring on 256 samples: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  [plain, fixed, model].forEach((m) => m.dispose());
  x.dispose();
}

async function main(): Promise<void> {
  const { backend } = await selectBackend();
  console.log(`backend ${backend}`);
  if (process.argv.includes('--mobilenet')) await mobileNet();
  else await fashionMnist();
}

void main();
