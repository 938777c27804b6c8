/**
 * One-shot, training-free pruning of the Fashion-MNIST benchmark CNN (the cached 5-epoch baseline
 * of bench/fashion-mnist.ts): per-layer L2 selection of the same fraction of every prunable group,
 * then test accuracy with the channels simply removed, with BatchNorm statistics corrected only,
 * and with the full compensation (refit + BN), each on 1,024 unlabeled training images.
 *
 *   npx tsx bench/compensation.ts
 */
import * as tf from '@tensorflow/tfjs';
import { analyze, countFlops, criteria, prune, scoreGroups, type Removals } from '../src/index';
import { disposeFashionMnist, loadFashionMnist } from '../examples/data/fashion-mnist';
import { selectBackend } from '../examples/shared/select-backend';
import { accuracyOf, trainedFmnistCnn } from './helpers/trained-fmnist';

async function main(): Promise<void> {
  const { backend } = await selectBackend();
  const data = loadFashionMnist();
  const trained = await trainedFmnistCnn(data);
  const model = trained.model;
  const calibration = data.train.x.slice(0, 1024);
  const base = countFlops(model).total;
  console.log(`backend ${backend}; baseline test accuracy ${(100 * trained.testAccuracy).toFixed(2)}%`);
  const scores = await scoreGroups(model, criteria.l2Norm());
  const groups = analyze(model).groups.filter((g) => g.prunable);
  console.log('| fraction per layer | MACs | removed only | + BN statistics | + refit + BN | compensation seconds |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const fraction of [0.3, 0.45]) {
    const removals: Removals = {};
    for (const g of groups) {
      const s = scores[g.id];
      const order = Array.from(s.keys()).sort((a, b) => s[a] - s[b]);
      removals[g.id] = order.slice(0, Math.floor(fraction * g.size));
    }
    const plain = prune(model, removals);
    const macs = countFlops(plain).total / base;
    const bn = await prune(model, removals, { compensate: { data: { x: calibration }, refit: false } });
    const t0 = performance.now();
    const full = await prune(model, removals, { compensate: { data: { x: calibration } } });
    const seconds = (performance.now() - t0) / 1000;
    const acc = (m: tf.LayersModel): string => (100 * accuracyOf(m, data.test)).toFixed(2);
    console.log(`| ${fraction} | ${(100 * macs).toFixed(1)}% | ${acc(plain)} | ${acc(bn)} | ${acc(full)} | ${seconds.toFixed(1)} |`);
    [plain, bn, full].forEach((m) => m.dispose());
  }
  calibration.dispose();
  model.dispose();
  disposeFashionMnist(data);
}

void main();
