/**
 * A custom pruning criterion, written as a plain object, compared with two built-ins and a random
 * baseline.
 *
 * The criterion, `taylorPlusL2`: for every group, the mean of the L2-normalised Taylor scores
 * (Molchanov et al. 2017, measured on 500 held-out digits) and the L2-normalised L2 norms of the
 * filters (Li et al. 2017). Taylor sees what a channel does to the loss but is estimated from a
 * few hundred examples and is first order only; the weight norm needs no data and does not vary
 * with the scoring sample. Averaging the two (each normalised per group first, so neither
 * dominates by scale) hedges between them. It declares Taylor's need (`'gradients'`), calls the
 * two built-ins' `score` on the one input the runner prepared, and returns one score per channel;
 * `scoreGroups` then L2-normalises the blend per group, like every criterion's default.
 *
 * Steps: train a small seeded CNN on 8,000 digits of the `mnist` package, then for each criterion
 * (the custom one, `taylor`, `l1Norm`, and `random` as the floor every criterion must beat) score
 * every prunable group, remove the lowest-scoring 40% of all prunable channels in one global
 * ranking across groups (never every channel of a group), and measure test accuracy on 1,500
 * other digits right after surgery (no fine-tuning) and the share of MACs kept (`countFlops`).
 *
 * Run with `npm run example:custom-criterion` (= `tsx examples/custom-criterion.ts`).
 * `TFJS_PRUNE_BACKEND=cpu|wasm|tensorflow` forces a backend (see selectBackend). Everything is
 * seeded, so runs on the same backend repeat the numbers.
 *
 * Output of `npm run example:custom-criterion` on a shared 2-core AMD EPYC VM, no GPU, Node 20,
 * TF.js 4.22, wasm backend (times vary with the machine and its load; the rest repeats):
 *
 * TF.js backend: wasm (WebAssembly/XNNPACK, SIMD, 12 training kernels from tfjs-prune/wasm; @tensorflow/tfjs-node is not installed)
 * Training a CNN on 8000 digits (2 epochs, wasm)
 * test accuracy 95.00% on 1500 digits; 706,752 MACs; 56,714 parameters
 * prunable groups: conv1 (16), conv2 (32), fc1 (64); removing 44 of 112 channels
 *
 * criterion     removed per group                   test accuracy  MACs kept  score s
 * -----------------------------------------------------------------------------------
 * taylorPlusL2  conv1 0/16, conv2 3/32, fc1 41/64   63.13%         87.66%     0.41
 * taylor        conv1 0/16, conv2 7/32, fc1 37/64   78.07%         77.83%     0.27
 * l1Norm        conv1 0/16, conv2 0/32, fc1 44/64   68.80%         94.96%     0.04
 * random        conv1 4/16, conv2 14/32, fc1 26/64  64.80%         46.09%     0.00
 *
 * (unpruned: test accuracy 95.00%; accuracy is right after surgery, without fine-tuning)
 * Total time: 22.5 s
 *
 * Reading it: with every criterion's default L2 normalisation, a group of n similar scores gets
 * about 1/sqrt(n) each, so one global ranking takes most channels from the widest group (fc1,
 * 64 units, few of the MACs). In this run the blend removed more of fc1 than Taylor did and lost
 * more accuracy: combining criteria is easy, but it is not automatically better. Score with
 * `normalize: 'max'` or a `flopsPenalty` to move removals towards the convolutions, and fine-tune
 * after surgery (examples/mnist.ts) before comparing final accuracies.
 */
import * as tf from '@tensorflow/tfjs';
import { analyze, countFlops, countParams, criteria, normalizeScores, prune, scoreGroups } from '../src/index';
import type { Criterion, CriterionInput, GroupScores, Removals } from '../src/index';
import { loadMnist } from './data/mnist';
import { selectBackend } from './shared/select-backend';

const SEED = 7;
const TRAIN = 8000;
const SCORING = 500;
const TEST = 1500;
const EPOCHS = 2;
const BATCH = 32;
/** Fraction of all prunable channels to remove, in one ranking across groups. */
const PRUNE_FRACTION = 0.4;

/**
 * The custom criterion: the mean of the per-group L2-normalised `taylor` and `l2Norm` scores. A
 * plain object satisfying `Criterion`; `score` receives the input the runner prepared (one pass
 * over the scoring data, computing what `needs` lists) and passes it on to the two built-ins.
 *
 * @example
 * ```ts
 * const scores = await scoreGroups(model, taylorPlusL2, { data: { x: xVal, y: yVal }, loss: 'categoricalCrossentropy' });
 * ```
 */
const taylorPlusL2: Criterion = (() => {
  const taylor = criteria.taylor();
  const l2 = criteria.l2Norm();
  return {
    name: 'taylorPlusL2',
    needs: [...taylor.needs, ...l2.needs], // ['gradients']: weights are always available
    async score(input: CriterionInput): Promise<GroupScores> {
      // A built-in's score() returns raw scores: its own normalize option is applied by scoreGroups,
      // not here, so normalise each part explicitly.
      const a = normalizeScores(await taylor.score(input), 'l2');
      const b = normalizeScores(await l2.score(input), 'l2');
      const out: GroupScores = {};
      for (const id of Object.keys(a)) out[id] = a[id].map((v, i) => (v + b[id][i]) / 2);
      return out;
    },
  };
})();

/**
 * One global ranking: the `fraction` lowest-scoring channels over all groups, skipping a channel
 * when its group would lose every channel. Ties go to the earlier group id and channel, so plans
 * repeat exactly.
 *
 * @example
 * ```ts
 * const removals = lowestGlobally(await scoreGroups(model, criteria.l1Norm()), 0.4);
 * ```
 */
function lowestGlobally(scores: GroupScores, fraction: number): Removals {
  const ids = Object.keys(scores).sort();
  const all = ids.flatMap((id) => Array.from(scores[id], (score, channel) => ({ id, channel, score })));
  all.sort((p, q) => p.score - q.score || ids.indexOf(p.id) - ids.indexOf(q.id) || p.channel - q.channel);
  const target = Math.floor(all.length * fraction);
  const removals: Record<string, number[]> = Object.fromEntries(ids.map((id) => [id, []]));
  let removed = 0;
  for (const { id, channel } of all) {
    if (removed === target) break;
    if (removals[id].length === scores[id].length - 1) continue; // keep at least one channel
    removals[id].push(channel);
    removed++;
  }
  for (const id of ids) removals[id].sort((p, q) => p - q);
  return removals;
}

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

/** Top-1 accuracy, predicting in batches; works on uncompiled (pruned) models. */
function accuracy(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => {
    const predicted = (model.predict(x, { batchSize: 256 }) as tf.Tensor).argMax(-1);
    return predicted.equal(y.argMax(-1)).mean().dataSync()[0];
  });
}

const pad = (s: string | number, n: number): string => String(s).padEnd(n);
const pct = (n: number): string => `${(100 * n).toFixed(2)}%`;

async function main(): Promise<void> {
  const started = performance.now();
  const { backend } = await selectBackend();
  const tensorsAtStart = tf.memory().numTensors;

  const digits = loadMnist({ trainSize: TRAIN + SCORING, testSize: TEST, seed: SEED });
  const xTrain = digits.xTrain.slice(0, TRAIN);
  const yTrain = digits.yTrain.slice(0, TRAIN);
  const xScore = digits.xTrain.slice(TRAIN, SCORING);
  const yScore = digits.yTrain.slice(TRAIN, SCORING);
  tf.dispose([digits.xTrain, digits.yTrain]);
  const { xTest, yTest } = digits;
  const model = buildModel();
  try {
    console.log(`Training a CNN on ${TRAIN} digits (${EPOCHS} epochs, ${backend})`);
    const optimizer = tf.train.adam(1e-3);
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    await model.fit(xTrain, yTrain, { epochs: EPOCHS, batchSize: BATCH, shuffle: false, verbose: 0 });
    optimizer.dispose(); // a passed-in optimizer is not disposed with the model
    const baseAccuracy = accuracy(model, xTest, yTest);
    const baseMacs = countFlops(model).total;
    const prunable = analyze(model).groups.filter((g) => g.prunable);
    const channels = prunable.reduce((n, g) => n + g.size, 0);
    console.log(`test accuracy ${pct(baseAccuracy)} on ${TEST} digits; ${baseMacs.toLocaleString('en-US')} MACs; ${countParams(model).total.toLocaleString('en-US')} parameters`);
    console.log(`prunable groups: ${prunable.map((g) => `${g.id} (${g.size})`).join(', ')}; removing ${Math.floor(channels * PRUNE_FRACTION)} of ${channels} channels\n`);

    const candidates: Criterion[] = [taylorPlusL2, criteria.taylor(), criteria.l1Norm(), criteria.random({ seed: SEED })];
    const header = `${pad('criterion', 14)}${pad('removed per group', 36)}${pad('test accuracy', 15)}${pad('MACs kept', 11)}score s`;
    console.log(header);
    console.log('-'.repeat(header.length));
    for (const criterion of candidates) {
      const t0 = performance.now();
      // Data is ignored by criteria without data needs (l1Norm, random).
      const scores = await scoreGroups(model, criterion, { data: { x: xScore, y: yScore }, batchSize: 100 });
      const scoreSeconds = (performance.now() - t0) / 1000;
      const removals = lowestGlobally(scores, PRUNE_FRACTION);
      const pruned = prune(model, removals);
      try {
        const perGroup = prunable.map((g) => `${g.id} ${removals[g.id].length}/${g.size}`).join(', ');
        const macsKept = countFlops(pruned).total / baseMacs;
        console.log(`${pad(criterion.name, 14)}${pad(perGroup, 36)}${pad(pct(accuracy(pruned, xTest, yTest)), 15)}${pad(pct(macsKept), 11)}${scoreSeconds.toFixed(2)}`);
      } finally {
        pruned.dispose();
      }
    }
    console.log(`\n(unpruned: test accuracy ${pct(baseAccuracy)}; accuracy is right after surgery, without fine-tuning)`);
  } finally {
    model.dispose();
    tf.dispose([xTrain, yTrain, xScore, yScore, xTest, yTest]);
  }
  const left = tf.memory().numTensors - tensorsAtStart;
  if (left !== 0) throw new Error(`${left} tensor(s) left undisposed`);
  console.log(`Total time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
