import * as tf from '@tensorflow/tfjs';
import { runFineTune, type TrainerSettings } from '../../src/finetune/run-fine-tune';
import { TrainingStream, type TrainingBatch } from '../../src/finetune/training-stream';
import { prune } from '../../src/surgery/prune';
import { mlp, pretrain, task, weightsOf } from '../loop/fixtures';

jest.setTimeout(60000);

const N = 64;
const B = 8; // 8 minibatches per epoch

/** A stream that aborts `controller` right after handing out its `after`-th batch. */
class AbortingStream extends TrainingStream {
  private drawn = 0;
  constructor(model: tf.LayersModel, data: { x: tf.Tensor; y?: tf.Tensor }, private readonly controller: AbortController, private readonly after: number) {
    super(model, data, B, 0, true);
  }
  override async next(untilEpoch?: number): Promise<TrainingBatch | null> {
    const batch = await super.next(untilEpoch);
    if (++this.drawn === this.after) this.controller.abort();
    return batch;
  }
}

/** Mean over rows of KL(p || q) for probability rows. */
function meanKl(p: tf.Tensor, q: tf.Tensor): number {
  return tf.tidy(() => {
    const pc = p.clipByValue(1e-7, 1);
    const qc = q.clipByValue(1e-7, 1);
    return pc.mul(pc.log().sub(qc.log())).sum(-1).mean().dataSync()[0];
  });
}

describe('runFineTune', () => {
  let data: ReturnType<typeof task>;
  let x: tf.Tensor2D;
  let y: tf.Tensor2D;
  let teacher: tf.Sequential;

  beforeAll(async () => {
    data = task();
    x = data.xTrain.slice(0, N);
    y = data.yTrain.slice(0, N);
    teacher = mlp();
    await pretrain(teacher, data.xTrain, data.yTrain, 20);
  });
  afterAll(() => {
    teacher.dispose();
    tf.dispose([x, y]);
    tf.dispose(data);
  });

  /** A fresh copy of the mlp (same seeded initial weights every time), compiled with `optimizer`. */
  const fresh = (optimizer: tf.Optimizer): tf.LayersModel => {
    const m = mlp();
    m.compile({ optimizer, loss: 'categoricalCrossentropy' });
    return m;
  };
  const labels = (signal?: AbortSignal): TrainerSettings => ({ distill: null, teacher, loss: 'categoricalCrossentropy', signal });

  test('steps: exactly that many minibatches, the same as trainOnBatch on the stream by hand', async () => {
    const tensors = tf.memory().numTensors;
    const optA = tf.train.sgd(0.05);
    const optB = tf.train.sgd(0.05);
    const a = fresh(optA);
    const b = fresh(optB);
    const stream = new TrainingStream(a, { x, y }, B, 3, true);
    const result = await runFineTune(a, { steps: 7, epochs: 0 }, stream, labels());
    expect(result).toMatchObject({ steps: 7, diverged: false, aborted: false });
    expect(stream.where()).toEqual({ epoch: 0, offset: 7 });

    const byHand = new TrainingStream(b, { x, y }, B, 3, true);
    const losses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const batch = (await byHand.next())!;
      losses.push((await b.trainOnBatch(batch.x[0], batch.y![0])) as number);
      tf.dispose([...batch.x, ...batch.y!]);
    }
    expect(weightsOf(a)).toEqual(weightsOf(b));
    expect(result.meanLoss).toBeCloseTo(losses.reduce((s, v) => s + v, 0) / 7, 6);
    expect(result.seconds).toBeGreaterThan(0);
    a.dispose();
    b.dispose();
    optA.dispose();
    optB.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('epochs over tensors: epochs * ceil(n / batchSize) minibatches from wherever the stream stands', async () => {
    const tensors = tf.memory().numTensors;
    const opt = tf.train.sgd(0.01);
    const m = fresh(opt);
    const stream = new TrainingStream(m, { x, y }, B, 0, true);
    expect((await runFineTune(m, { steps: 0, epochs: 2 }, stream, labels())).steps).toBe(16);
    expect(stream.where()).toEqual({ epoch: 1, offset: 8 });
    expect((await runFineTune(m, { steps: 3, epochs: 0 }, stream, labels())).steps).toBe(3);
    // Mid-epoch, one epoch is still 8 minibatches: it ends mid-epoch too.
    expect((await runFineTune(m, { steps: 0, epochs: 1 }, stream, labels())).steps).toBe(8);
    expect(stream.where()).toEqual({ epoch: 3, offset: 3 });
    // Nothing asked, nothing done.
    const none = await runFineTune(m, { steps: 0, epochs: 0 }, stream, labels());
    expect(none.steps).toBe(0);
    expect(Number.isNaN(none.meanLoss)).toBe(true);
    // 10 examples in batches of 8: two minibatches per epoch (8 and 2).
    const ten = { x: x.slice(0, 10), y: y.slice(0, 10) };
    const small = new TrainingStream(m, ten, B, 0, true);
    expect((await runFineTune(m, { steps: 0, epochs: 3 }, small, labels())).steps).toBe(6);
    tf.dispose([ten.x, ten.y]);
    m.dispose();
    opt.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('epochs over a dataset: to the end of the epoch (a stream standing mid-epoch first finishes its epoch)', async () => {
    const opt = tf.train.sgd(0.01);
    const m = fresh(opt);
    // 4 elements of 16 examples.
    const dataset = tf.data.zip({ xs: tf.data.array(x.unstack()), ys: tf.data.array(y.unstack()) }).batch(16) as unknown as tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>;
    const tensors = tf.memory().numTensors;
    const stream = new TrainingStream(m, dataset, B, 0, true);
    expect((await runFineTune(m, { steps: 0, epochs: 1 }, stream, labels())).steps).toBe(4);
    expect(stream.where()).toEqual({ epoch: 1, offset: 0 });
    expect((await runFineTune(m, { steps: 2, epochs: 0 }, stream, labels())).steps).toBe(2);
    // Unlike tensor data, where one epoch is always 8 minibatches, this is the 2 left of epoch 1
    // plus the 4 of epoch 2 (see the report: the two sources count `epochs` differently).
    expect((await runFineTune(m, { steps: 0, epochs: 1 }, stream, labels())).steps).toBe(6);
    expect(stream.where()).toEqual({ epoch: 3, offset: 0 });
    expect(tf.memory().numTensors).toBe(tensors);
    m.dispose();
    opt.dispose();
  });

  test('a NaN or infinite loss stops training at once: diverged', async () => {
    const tensors = tf.memory().numTensors;
    const opt = tf.train.sgd(1e30);
    // Mean squared error does not clip: once the weights blow up, the loss is Infinity or NaN.
    const m = mlp();
    m.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const stream = new TrainingStream(m, { x, y }, B, 0, true);
    const result = await runFineTune(m, { steps: 50, epochs: 0 }, stream, { ...labels(), loss: 'meanSquaredError' });
    expect(result.diverged).toBe(true);
    expect(result.aborted).toBe(false);
    // The first loss is that of the initial weights (finite); it breaks on a later minibatch, and
    // nothing is drawn after the first non-finite loss.
    expect(result.steps).toBeGreaterThanOrEqual(2);
    expect(result.steps).toBeLessThan(50);
    expect(stream.where()).toEqual({ epoch: Math.floor((result.steps - 1) / 8), offset: ((result.steps - 1) % 8) + 1 });
    expect(Number.isFinite(result.meanLoss)).toBe(false);
    m.dispose();
    opt.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  // Regression (was a bug, fixed: src/finetune/run-fine-tune.ts, runFineTune): divergence is detected only from the loss
  // value. TF.js's cross-entropy clips the predictions to [1e-7, 1 - 1e-7], and on the wasm backend
  // clipByValue maps NaN to the lower bound, so a model whose weights are all NaN reports a finite
  // loss of -log(1e-7) = 16.118 on every minibatch: runFineTune trains all 50 minibatches on NaN
  // weights and returns diverged: false (on the cpu backend the loss is NaN and it stops at once).
  // pruneIteratively catches it afterwards with its own weight check, after the whole fine-tune.
  // Fix: also check that the trainable weights are finite (e.g. after every minibatch whose loss
  // is suspiciously constant, or every k minibatches and at the end) and stop there.
  test('cross-entropy: NaN weights stop training at once (diverged), on every backend', async () => {
    const opt = tf.train.sgd(1e30);
    const m = fresh(opt);
    const stream = new TrainingStream(m, { x, y }, B, 0, true);
    try {
      const result = await runFineTune(m, { steps: 50, epochs: 0 }, stream, labels());
      expect(result.diverged).toBe(true);
      expect(result.steps).toBeLessThan(50);
    } finally {
      m.dispose();
      opt.dispose();
    }
  });

  test('an AbortSignal stops between minibatches', async () => {
    const tensors = tf.memory().numTensors;
    const opt = tf.train.sgd(0.01);
    const m = fresh(opt);
    const controller = new AbortController();
    const stream = new AbortingStream(m, { x, y }, controller, 3);
    const result = await runFineTune(m, { steps: 20, epochs: 0 }, stream, labels(controller.signal));
    // The third minibatch was drawn before the abort and is trained; the fourth is never drawn.
    expect(result).toMatchObject({ steps: 3, aborted: true, diverged: false });
    expect(stream.where()).toEqual({ epoch: 0, offset: 3 });
    expect(Number.isFinite(result.meanLoss)).toBe(true);
    // Already aborted: nothing at all.
    const again = await runFineTune(m, { steps: 20, epochs: 0 }, stream, labels(controller.signal));
    expect(again).toMatchObject({ steps: 0, aborted: true });
    m.dispose();
    opt.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('distillation loss: soft-target cross-entropy times T^2, as computed by hand', async () => {
    const student = prune(teacher, { h1: [0, 1, 2, 3, 4, 5, 6, 7], h2: [0, 1, 2, 3, 4, 5] });
    const tensors = tf.memory().numTensors;
    const opt = tf.train.sgd(0); // no update: the reported loss is that of the first batch
    student.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
    const T = 2;
    const stream = new TrainingStream(student, { x }, B, 5, false);
    const result = await runFineTune(student, { steps: 1, epochs: 0 }, stream, { distill: { temperature: T }, teacher, loss: 'categoricalCrossentropy' });
    const batch = (await new TrainingStream(student, { x }, B, 5, false).next())!;
    const expected = tf.tidy(() => {
      const soft = (p: tf.Tensor) => {
        const powered = p.clipByValue(1e-7, 1).pow(1 / T);
        return powered.div(powered.sum(-1, true));
      };
      const pt = soft(teacher.predict(batch.x[0]) as tf.Tensor);
      const ps = soft(student.predict(batch.x[0]) as tf.Tensor);
      return pt.mul(ps.clipByValue(1e-7, 1).log()).sum(-1).neg().mean().mul(T * T).dataSync()[0];
    });
    tf.dispose(batch.x);
    expect(result.steps).toBe(1);
    expect(result.meanLoss).toBeCloseTo(expected, 5);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    student.dispose();
  });

  test('distillation on unlabeled inputs pulls a pruned student toward the teacher (KL divergence falls)', async () => {
    const before = weightsOf(teacher);
    const student = prune(teacher, { h1: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], h2: [0, 1, 2, 3, 4, 5, 6] });
    const tensors = tf.memory().numTensors;
    const opt = tf.train.adam(0.01);
    student.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
    const kl = () => tf.tidy(() => meanKl(teacher.predict(data.xTrain) as tf.Tensor, student.predict(data.xTrain) as tf.Tensor));
    const klBefore = kl();
    const stream = new TrainingStream(student, { x: data.xTrain }, 32, 1, false);
    const result = await runFineTune(student, { steps: 0, epochs: 5 }, stream, { distill: { temperature: 1 }, teacher, loss: 'categoricalCrossentropy' });
    expect(result.steps).toBe(60);
    const klAfter = kl();
    expect(klBefore).toBeGreaterThan(0.05);
    expect(klAfter).toBeLessThan(0.5 * klBefore);
    // The teacher is only read.
    expect(weightsOf(teacher)).toEqual(before);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    student.dispose();
  });

  test('distillation of a non-classifier (mean squared error loss) matches the outputs', async () => {
    const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
    const reg = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [8], units: 12, activation: 'tanh', name: 'r1', kernelInitializer: init(1) }),
        tf.layers.dense({ units: 2, name: 'rout', kernelInitializer: init(2) }),
      ],
    });
    const student = prune(reg, { r1: [0, 1, 2, 3, 4, 5] });
    const tensors = tf.memory().numTensors;
    const opt = tf.train.adam(0.01);
    student.compile({ optimizer: opt, loss: 'meanSquaredError' });
    const mse = () => tf.tidy(() => (reg.predict(data.xTrain) as tf.Tensor).sub(student.predict(data.xTrain) as tf.Tensor).square().mean().dataSync()[0]);
    const mseBefore = mse();
    const stream = new TrainingStream(student, { x: data.xTrain }, 32, 1, false);
    const result = await runFineTune(student, { steps: 80, epochs: 0 }, stream, { distill: { temperature: 3 }, teacher: reg, loss: 'meanSquaredError' });
    expect(result.steps).toBe(80);
    expect(mse()).toBeLessThan(0.3 * mseBefore);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    student.dispose();
    reg.dispose();
  });
});
