import * as tf from '@tensorflow/tfjs';
import { TrainingStream, type StreamPosition, type TrainingBatch } from '../../src/finetune/training-stream';
import { PruneError } from '../../src/errors';

/** A one-feature model: the stream only reads its input and output shapes. */
function tinyModel(): tf.LayersModel {
  return tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1, name: 'd' })] });
}

/** x = [[0], [1], ..., [n-1]], y = 10 * x: a row of y tells which example it belongs to. */
function numbered(n: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.range(0, n).reshape([n, 1]) as tf.Tensor2D;
    return { x, y: x.mul(10) as tf.Tensor2D };
  });
}

/** Reads a batch's example ids (x) and checks y belongs to the same examples; disposes the batch. */
function ids(batch: TrainingBatch | null): number[] {
  expect(batch).not.toBeNull();
  const b = batch!;
  const x = Array.from(b.x[0].dataSync());
  if (b.y) expect(Array.from(b.y[0].dataSync())).toEqual(x.map((v) => v * 10));
  expect(b.size).toBe(x.length);
  tf.dispose([...b.x, ...(b.y ?? [])]);
  return x;
}

async function draw(stream: TrainingStream, count: number): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < count; i++) out.push(ids(await stream.next()));
  return out;
}

describe('TrainingStream over tensors', () => {
  const N = 23;
  const B = 5; // 5 batches per epoch: 5, 5, 5, 5, 3
  let model: tf.LayersModel;
  let data: { x: tf.Tensor2D; y: tf.Tensor2D };
  beforeAll(() => {
    model = tinyModel();
    data = numbered(N);
  });
  afterAll(() => {
    model.dispose();
    tf.dispose(data);
  });
  const stream = (seed = 1, start?: StreamPosition) => new TrainingStream(model, data, B, seed, true, start);

  test('every example exactly once per epoch, a new order each epoch, batches of batchSize then the rest', async () => {
    const tensors = tf.memory().numTensors;
    const s = stream();
    expect(s.batchesPerEpoch).toBe(5);
    const epoch0 = await draw(s, 5);
    expect(s.where()).toEqual({ epoch: 0, offset: 5 });
    const epoch1 = await draw(s, 5);
    expect(s.where()).toEqual({ epoch: 1, offset: 5 });
    for (const epoch of [epoch0, epoch1]) {
      expect(epoch.map((b) => b.length)).toEqual([5, 5, 5, 5, 3]);
      expect(epoch.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    }
    expect(epoch1.flat()).not.toEqual(epoch0.flat());
    // Shuffled, not the identity order.
    expect(epoch0.flat()).not.toEqual(Array.from({ length: N }, (_, i) => i));
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('the order depends only on the seed: the same seed repeats it, another seed differs', async () => {
    const tensors = tf.memory().numTensors;
    const a = (await draw(stream(7), 12)).flat();
    const b = (await draw(stream(7), 12)).flat();
    const c = (await draw(stream(8), 12)).flat();
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('resuming from where() gives the same following batches', async () => {
    const tensors = tf.memory().numTensors;
    const straight = await draw(stream(3), 13);
    const positions: Array<[number, StreamPosition]> = [
      [0, { epoch: 0, offset: 0 }],
      [3, { epoch: 0, offset: 3 }],
      [5, { epoch: 0, offset: 5 }], // the end of epoch 0: epoch 1 starts at the next draw
      [7, { epoch: 1, offset: 2 }],
      [10, { epoch: 1, offset: 5 }],
    ];
    for (const [k, at] of positions) {
      const first = stream(3);
      await draw(first, k);
      expect(first.where()).toEqual(at);
      const resumed = stream(3, JSON.parse(JSON.stringify(first.where())) as StreamPosition);
      expect(await draw(resumed, 13 - k)).toEqual(straight.slice(k));
    }
    // The end of an epoch and the start of the next are the same place.
    expect(await draw(stream(3, { epoch: 0, offset: 5 }), 3)).toEqual(await draw(stream(3, { epoch: 1, offset: 0 }), 3));
    // Epoch 2's order does not depend on having drawn epochs 0 and 1.
    expect(await draw(stream(3, { epoch: 2, offset: 0 }), 3)).toEqual(straight.slice(10, 13));
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('untilEpoch: null instead of starting that epoch, the stream then stands at its beginning', async () => {
    const tensors = tf.memory().numTensors;
    const straight = await draw(stream(4), 7);
    const s = stream(4);
    const epoch0: number[][] = [];
    for (;;) {
      const b = await s.next(1);
      if (b === null) break;
      epoch0.push(ids(b));
    }
    expect(epoch0).toEqual(straight.slice(0, 5));
    expect(s.where()).toEqual({ epoch: 1, offset: 0 });
    expect(await s.next(1)).toBeNull();
    expect(ids(await s.next(2))).toEqual(straight[5]);
    expect(ids(await s.next())).toEqual(straight[6]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('batches are new tensors owned by the caller; the data is never disposed', async () => {
    const s = stream(5);
    const tensors = tf.memory().numTensors;
    const b = (await s.next())!;
    expect(tf.memory().numTensors).toBe(tensors + 2);
    expect(b.x[0]).not.toBe(data.x);
    tf.dispose([...b.x, ...b.y!]);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(data.x.isDisposed).toBe(false);
    expect(data.x.shape).toEqual([N, 1]);
  });

  test('unlabeled tensors give y: null', async () => {
    const tensors = tf.memory().numTensors;
    const s = new TrainingStream(model, { x: data.x }, 10, 0, false);
    const b = (await s.next())!;
    expect(b.y).toBeNull();
    expect(b.size).toBe(10);
    tf.dispose(b.x);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

describe('TrainingStream over a tf.data.Dataset', () => {
  let model: tf.LayersModel;
  let data: { x: tf.Tensor2D; y: tf.Tensor2D };
  // 11 examples in batches of 3: [0,1,2] [3,4,5] [6,7,8] [9,10].
  const EPOCH = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10]];
  const dataset = () => tf.data.zip({ xs: tf.data.array(Array.from({ length: 11 }, (_, i) => [i])), ys: tf.data.array(Array.from({ length: 11 }, (_, i) => [10 * i])) }).batch(3) as unknown as tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>;
  beforeAll(() => {
    model = tinyModel();
    data = numbered(11);
  });
  afterAll(() => {
    model.dispose();
    tf.dispose(data);
  });

  test('elements in the dataset order, restarting at its end; where() counts elements', async () => {
    const tensors = tf.memory().numTensors;
    const s = new TrainingStream(model, dataset(), 999, 0, true);
    expect(s.batchesPerEpoch).toBeNull();
    expect(await draw(s, 4)).toEqual(EPOCH);
    expect(s.where()).toEqual({ epoch: 0, offset: 4 });
    expect(await draw(s, 5)).toEqual([...EPOCH, EPOCH[0]]);
    expect(s.where()).toEqual({ epoch: 2, offset: 1 }); // epoch 1 was whole, epoch 2 gave one element
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('the seed plays no part: the dataset order is kept', async () => {
    const a = await draw(new TrainingStream(model, dataset(), 3, 1, true), 4);
    const b = await draw(new TrainingStream(model, dataset(), 3, 2, true), 4);
    expect(a).toEqual(EPOCH);
    expect(b).toEqual(EPOCH);
  });

  test('resuming skips the elements already drawn (and frees them)', async () => {
    const tensors = tf.memory().numTensors;
    const s = new TrainingStream(model, dataset(), 3, 0, true);
    await draw(s, 6);
    const at = s.where();
    expect(at).toEqual({ epoch: 1, offset: 2 });
    const resumed = new TrainingStream(model, dataset(), 3, 0, true, at);
    expect(await draw(resumed, 4)).toEqual([EPOCH[2], EPOCH[3], EPOCH[0], EPOCH[1]]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('untilEpoch ends at the dataset end', async () => {
    const tensors = tf.memory().numTensors;
    const s = new TrainingStream(model, dataset(), 3, 0, true);
    const seen: number[][] = [];
    for (;;) {
      const b = await s.next(1);
      if (b === null) break;
      seen.push(ids(b));
    }
    expect(seen).toEqual(EPOCH);
    expect(s.where()).toEqual({ epoch: 1, offset: 0 });
    expect(ids(await s.next(2))).toEqual(EPOCH[0]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('an element that does not fit the model is refused and freed; an empty dataset is MISSING_DATA', async () => {
    const wideX = tf.zeros([2, 3]);
    const narrowX = tf.zeros([2, 1]);
    const labels = tf.zeros([2, 1]);
    const tensors = tf.memory().numTensors;
    const wide = tf.data.array([{ xs: wideX, ys: labels }]) as unknown as tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>;
    await expect(new TrainingStream(model, wide, 2, 0, true).next()).rejects.toMatchObject({ name: 'PruneError', code: 'DATA_MISMATCH' });
    const unlabeled = tf.data.array([{ xs: narrowX }]) as unknown as tf.data.Dataset<{ xs: tf.Tensor }>;
    await expect(new TrainingStream(model, unlabeled, 2, 0, true).next()).rejects.toMatchObject({ name: 'PruneError', code: 'MISSING_DATA' });
    const empty = tf.data.array([] as Array<{ xs: tf.Tensor }>);
    const error = await new TrainingStream(model, empty, 2, 0, true).next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PruneError);
    expect((error as PruneError).code).toBe('MISSING_DATA');
    // The refused elements (copies made by the dataset) were freed.
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([wideX, narrowX, labels]);
  });
});
