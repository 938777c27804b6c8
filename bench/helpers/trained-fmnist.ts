import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../../src/util/seeded-random';
import type { FashionMnistSplit } from '../../examples/data/fashion-mnist';
import { loadModelFiles, saveModelFiles } from '../../examples/shared/save-model-files';
import { buildFmnistCnn } from '../models/fmnist-cnn';
import { buildFmnistMobileNet } from '../models/fmnist-mobilenet';

/**
 * The training recipe of the Fashion-MNIST baseline. Every field is part of the cache key, so a
 * different recipe never reuses another recipe's weights.
 *
 * @example
 * ```ts
 * const quick: FmnistTrainConfig = { ...FMNIST_BASELINE, trainSize: 2000, epochs: 1 };
 * ```
 */
export interface FmnistTrainConfig {
  /** Seed of the initializers and of the per-epoch shuffles. */
  seed: number;
  /** Passes over the training examples. */
  epochs: number;
  /** Examples per training step. */
  batchSize: number;
  /** Adam learning rate. */
  learningRate: number;
  /** Training examples: the first `trainSize` of the 55,000 of the train split. */
  trainSize: number;
}

/**
 * The project's baseline recipe: Adam 1e-3, batch 128, 5 epochs, seed 0, all 55,000 training
 * images.
 *
 * @example
 * ```ts
 * const { model } = await trainedFmnistCnn(data, { config: FMNIST_BASELINE });
 * ```
 */
export const FMNIST_BASELINE: Readonly<FmnistTrainConfig> = { seed: 0, epochs: 5, batchSize: 128, learningRate: 1e-3, trainSize: 55_000 };

/**
 * The benchmark architectures: the plain CNN ({@link buildFmnistCnn}) and the residual
 * MobileNetV2-style network ({@link buildFmnistMobileNet}).
 *
 * @example
 * ```ts
 * const architecture: FmnistArchitecture = process.argv.includes('--mobilenet') ? 'mobilenet' : 'cnn';
 * ```
 */
export type FmnistArchitecture = 'cnn' | 'mobilenet';

/**
 * Per architecture: how to build it and the recipe version (bump it when the architecture or the
 * training procedure changes, so old caches are not reused).
 */
const ARCHITECTURES: Record<FmnistArchitecture, { build: (seed: number) => tf.LayersModel; recipe: string }> = {
  cnn: { build: (seed) => buildFmnistCnn({ seed }), recipe: 'fmnist-cnn/v1: seeded permutation per epoch, trainOnBatch, Adam' },
  mobilenet: { build: (seed) => buildFmnistMobileNet({ seed }), recipe: 'fmnist-mobilenet/v1: seeded permutation per epoch, trainOnBatch, Adam' },
};

/**
 * Options of {@link trainedFmnistCnn}.
 *
 * @example
 * ```ts
 * const options: TrainedFmnistOptions = { retrain: process.argv.includes('--retrain') };
 * ```
 */
export interface TrainedFmnistOptions {
  /** Training recipe. Default: {@link FMNIST_BASELINE}. */
  config?: Partial<FmnistTrainConfig>;
  /** Train even if a cached model exists (and overwrite it). Default: false. */
  retrain?: boolean;
  /** Parent directory of the cache directories. Default: `'out/bench'`. */
  outDir?: string;
  /** Where progress lines go; `null` for silence. Default: `console.log`. */
  log?: ((line: string) => void) | null;
  /** Which model to train. Default: `'cnn'`. */
  architecture?: FmnistArchitecture;
}

/**
 * What was stored next to the cached weights (`meta.json`).
 *
 * @example
 * ```ts
 * console.log(result.meta.trainSeconds, result.meta.backend);
 * ```
 */
export interface FmnistTrainMeta {
  recipe: string;
  config: FmnistTrainConfig;
  /** TF.js backend the model was trained on. */
  backend: string;
  tfjs: string;
  trainSeconds: number;
  /** Mean training loss of each epoch. */
  epochLosses: number[];
  /** Test accuracy measured right after training, and on how many test examples. */
  testAccuracy: number;
  testExamples: number;
  createdAt: string;
}

/**
 * A trained baseline, loaded from its cache directory.
 *
 * @example
 * ```ts
 * const { model, testAccuracy, trainedNow } = await trainedFmnistCnn(data);
 * ```
 */
export interface TrainedFmnist {
  /** The model, loaded from `modelJson` (uncompiled). The caller disposes it. */
  model: tf.LayersModel;
  /** The cache directory, `<outDir>/fmnist-<architecture>-<config hash>`. */
  dir: string;
  /** Path of `model.json`; `loadModelFiles(modelJson)` gives an independent copy. */
  modelJson: string;
  /** Top-1 accuracy of `model` on the test split passed in. */
  testAccuracy: number;
  /** Whether this call trained the model (false: it came from the cache). */
  trainedNow: boolean;
  /** The resolved recipe. */
  config: FmnistTrainConfig;
  /** How it was trained. */
  meta: FmnistTrainMeta;
}

/**
 * Short hash of a recipe, the name of its cache directory.
 *
 * @example
 * ```ts
 * fmnistConfigHash(FMNIST_BASELINE); // e.g. '3f2a9c0d1b'
 * ```
 */
export function fmnistConfigHash(config: FmnistTrainConfig, architecture: FmnistArchitecture = 'cnn'): string {
  const key = JSON.stringify([ARCHITECTURES[architecture].recipe, config.seed, config.epochs, config.batchSize, config.learningRate, config.trainSize]);
  return createHash('sha256').update(key).digest('hex').slice(0, 10);
}

/**
 * Top-1 accuracy of a model on a split, predicting in batches of 500 (works on uncompiled models).
 *
 * @example
 * ```ts
 * console.log(accuracyOf(model, data.test)); // 0.91...
 * ```
 */
export function accuracyOf(model: tf.LayersModel, split: FashionMnistSplit): number {
  return tf.tidy(() => {
    const predicted = (model.predict(split.x, { batchSize: 500 }) as tf.Tensor).argMax(-1);
    return predicted.equal(split.y.argMax(-1)).mean().dataSync()[0];
  });
}

/** A seeded Fisher-Yates permutation of 0..n-1. */
function permutation(n: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * Trains the model with `trainOnBatch` over a seeded permutation of the training examples per
 * epoch (not `model.fit`'s unseeded shuffle), so a retrain on the same backend repeats the weights.
 */
async function train(model: tf.LayersModel, train: FashionMnistSplit, config: FmnistTrainConfig, log: (line: string) => void): Promise<number[]> {
  const optimizer = tf.train.adam(config.learningRate);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  try {
    return await trainEpochs(model, train, config, log);
  } finally {
    optimizer.dispose(); // the model does not own an optimizer object it was given
  }
}

async function trainEpochs(model: tf.LayersModel, train: FashionMnistSplit, config: FmnistTrainConfig, log: (line: string) => void): Promise<number[]> {
  const n = config.trainSize;
  const random = seededRandom(config.seed);
  const losses: number[] = [];
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    const order = permutation(n, random);
    const start = performance.now();
    let sum = 0;
    let steps = 0;
    for (let b = 0; b < n; b += config.batchSize) {
      const idx = tf.tensor1d(order.subarray(b, Math.min(n, b + config.batchSize)), 'int32');
      const xb = tf.gather(train.x, idx);
      const yb = tf.gather(train.y, idx);
      try {
        sum += (await model.trainOnBatch(xb, yb)) as number;
        steps++;
      } finally {
        tf.dispose([idx, xb, yb]);
      }
    }
    losses.push(sum / steps);
    log(`  epoch ${epoch + 1}/${config.epochs}: mean loss ${(sum / steps).toFixed(4)} (${((performance.now() - start) / 1000).toFixed(1)} s, ${steps} steps)`);
  }
  return losses;
}

/**
 * The trained Fashion-MNIST baseline ({@link buildFmnistCnn}, or {@link buildFmnistMobileNet} with
 * `architecture: 'mobilenet'`), from the cache `<outDir>/fmnist-<architecture>-<config hash>/` (`model.json`, `weights.bin`, `meta.json`) when it exists,
 * else trained now on the current backend (Adam, categorical cross-entropy, one seeded
 * permutation of the training examples per epoch) and saved there. Training the full recipe takes
 * about ten minutes on 2 cores with wasm. Prints the test accuracy.
 *
 * @param data The train split (at least `config.trainSize` examples) and the test split.
 *
 * @example
 * ```ts
 * const data = loadFashionMnist();
 * const { model, testAccuracy } = await trainedFmnistCnn(data, { retrain: process.argv.includes('--retrain') });
 * ```
 */
export async function trainedFmnistCnn(
  data: { train: FashionMnistSplit; test: FashionMnistSplit },
  options: TrainedFmnistOptions = {},
): Promise<TrainedFmnist> {
  const config: FmnistTrainConfig = { ...FMNIST_BASELINE, ...options.config };
  const log = options.log === undefined ? (line: string) => console.log(line) : (options.log ?? (() => undefined));
  if (data.train.x.shape[0] < config.trainSize) {
    throw new Error(`trainedFmnistCnn: the recipe trains on ${config.trainSize} examples but the train split holds ${data.train.x.shape[0]}.`);
  }
  const architecture = options.architecture ?? 'cnn';
  const name = `fmnist-${architecture}`;
  const dir = path.join(options.outDir ?? 'out/bench', `${name}-${fmnistConfigHash(config, architecture)}`);
  const modelJson = path.join(dir, 'model.json');
  const metaPath = path.join(dir, 'meta.json');
  const cached = !options.retrain && fs.existsSync(modelJson) && fs.existsSync(metaPath);
  let meta: FmnistTrainMeta;
  if (cached) {
    meta = JSON.parse(fs.readFileSync(metaPath, 'utf8')) as FmnistTrainMeta;
    log(`${name}: cached model ${dir} (trained on ${meta.backend} in ${meta.trainSeconds.toFixed(0)} s; --retrain to train again)`);
  } else {
    log(`${name}: training ${JSON.stringify(config)} on ${tf.getBackend()} -> ${dir}`);
    const model = ARCHITECTURES[architecture].build(config.seed);
    const trainSplit = config.trainSize === data.train.x.shape[0] ? data.train : { x: data.train.x.slice(0, config.trainSize), y: data.train.y.slice(0, config.trainSize) };
    try {
      const start = performance.now();
      const epochLosses = await train(model, trainSplit, config, log);
      const trainSeconds = (performance.now() - start) / 1000;
      meta = {
        recipe: ARCHITECTURES[architecture].recipe,
        config,
        backend: tf.getBackend(),
        tfjs: tf.version.tfjs,
        trainSeconds,
        epochLosses,
        testAccuracy: accuracyOf(model, data.test),
        testExamples: data.test.x.shape[0],
        createdAt: new Date().toISOString(),
      };
      await saveModelFiles(model, dir);
      fs.writeFileSync(metaPath, JSON.stringify(meta, null, 2));
      log(`${name}: trained in ${trainSeconds.toFixed(1)} s, saved to ${dir}`);
    } finally {
      model.dispose();
      if (trainSplit !== data.train) tf.dispose([trainSplit.x, trainSplit.y]);
    }
  }
  const model = await loadModelFiles(modelJson);
  const testAccuracy = accuracyOf(model, data.test);
  log(`${name}: test accuracy ${(100 * testAccuracy).toFixed(2)}% on ${data.test.x.shape[0]} test images`);
  return { model, dir, modelJson, testAccuracy, trainedNow: !cached, config, meta };
}
