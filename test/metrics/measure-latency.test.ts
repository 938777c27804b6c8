import * as tf from '@tensorflow/tfjs';
import { measureLatency, type MeasureLatencyOptions, type MeasureLatencyResult } from '../../src/metrics/measure-latency';
import { PruneError } from '../../src/errors';

function smallCnn(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
}

/** Checks the internal consistency of a result (no timing thresholds: timings are not asserted). */
function expectSane(result: MeasureLatencyResult, runs: number, batchSize: number): void {
  expect(result.runs).toBe(runs);
  expect(result.batchSize).toBe(batchSize);
  expect(result.backend).toBe(tf.getBackend());
  expect(result.samplesMs).toHaveLength(runs);
  for (const t of result.samplesMs) expect(Number.isFinite(t) && t >= 0).toBe(true);
  expect(result.minMs).toBe(Math.min(...result.samplesMs));
  expect(result.maxMs).toBe(Math.max(...result.samplesMs));
  expect(result.meanMs).toBeCloseTo(result.samplesMs.reduce((a, b) => a + b, 0) / runs, 9);
  expect(result.minMs).toBeLessThanOrEqual(result.p10Ms);
  expect(result.p10Ms).toBeLessThanOrEqual(result.medianMs);
  expect(result.medianMs).toBeLessThanOrEqual(result.p90Ms);
  expect(result.p90Ms).toBeLessThanOrEqual(result.maxMs);
  expect(result.iqrMs).toBeGreaterThanOrEqual(0);
  expect(result.iqrMs).toBeLessThanOrEqual(result.maxMs - result.minMs);
}

describe('measureLatency', () => {
  it('runs warmup + runs predict calls on a [batchSize, ...] input and reports consistent statistics', async () => {
    const model = smallCnn();
    const shapes: number[][] = [];
    const original = model.predict.bind(model);
    const predict = jest.spyOn(model, 'predict');
    predict.mockImplementation((x, args) => {
      shapes.push((x as tf.Tensor).shape);
      return original(x, args);
    });
    const before = tf.memory().numTensors;
    const result = await measureLatency(model, { runs: 5, warmup: 2, batchSize: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expectSane(result, 5, 3);
    expect(shapes).toEqual(Array.from({ length: 7 }, () => [3, 8, 8, 1]));
    predict.mockRestore();
    model.dispose();
  });

  it('uses the defaults (batch 1, 20 runs, 3 warm-ups) and the median of the samples', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] });
    const predict = jest.spyOn(model, 'predict');
    const before = tf.memory().numTensors;
    const result = await measureLatency(model);
    expect(tf.memory().numTensors).toBe(before);
    expectSane(result, 20, 1);
    expect(predict).toHaveBeenCalledTimes(23);
    const sorted = [...result.samplesMs].sort((a, b) => a - b);
    expect(result.medianMs).toBeCloseTo((sorted[9]! + sorted[10]!) / 2, 9);
    predict.mockRestore();
    model.dispose();
  });

  it('feeds the same seeded input every time', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [6], units: 2 })] });
    const seen: number[][] = [];
    const original = model.predict.bind(model);
    const predict = jest.spyOn(model, 'predict');
    predict.mockImplementation((x, args) => {
      seen.push(Array.from((x as tf.Tensor).dataSync()));
      return original(x, args);
    });
    await measureLatency(model, { runs: 1, warmup: 0 });
    await measureLatency(model, { runs: 1, warmup: 0 });
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
    expect(new Set(seen[0]).size).toBe(6); // random normal values, not a constant
    predict.mockRestore();
    model.dispose();
  });

  it('supports multi-input, multi-output models and index inputs (Embedding)', async () => {
    const image = tf.input({ shape: [4, 4, 2], name: 'image' });
    const tokens = tf.input({ shape: [5], name: 'tokens' }); // float32 input feeding an Embedding
    const ids = tf.input({ shape: [3], dtype: 'int32', name: 'ids' });
    const a = tf.layers.flatten().apply(tf.layers.conv2d({ filters: 2, kernelSize: 3 }).apply(image)) as tf.SymbolicTensor;
    const b = tf.layers.flatten().apply(tf.layers.embedding({ inputDim: 7, outputDim: 2 }).apply(tokens)) as tf.SymbolicTensor;
    const c = tf.layers.flatten().apply(tf.layers.embedding({ inputDim: 4, outputDim: 2 }).apply(ids)) as tf.SymbolicTensor;
    const merged = tf.layers.concatenate().apply([a, b, c]) as tf.SymbolicTensor;
    const out1 = tf.layers.dense({ units: 3, name: 'out1' }).apply(merged) as tf.SymbolicTensor;
    const out2 = tf.layers.dense({ units: 1, name: 'out2' }).apply(merged) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [image, tokens, ids], outputs: [out1, out2] });

    const fed: Array<Array<{ shape: number[]; dtype: string; min: number }>> = [];
    const original = model.predict.bind(model);
    const predict = jest.spyOn(model, 'predict');
    predict.mockImplementation((x, args) => {
      fed.push((x as tf.Tensor[]).map((t) => ({ shape: t.shape, dtype: t.dtype, min: Math.min(...t.dataSync()) })));
      return original(x, args);
    });
    const before = tf.memory().numTensors;
    const result = await measureLatency(model, { runs: 3, warmup: 1, batchSize: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expectSane(result, 3, 2);
    expect(fed).toHaveLength(4);
    expect(fed[0]!.map(({ shape, dtype }) => ({ shape, dtype }))).toEqual([
      { shape: [2, 4, 4, 2], dtype: 'float32' },
      { shape: [2, 5], dtype: 'float32' },
      { shape: [2, 3], dtype: 'int32' },
    ]);
    // Index inputs are zeros (valid indices); the image is random.
    expect(fed[0]![1]!.min).toBe(0);
    expect(fed[0]![2]!.min).toBe(0);
    expect(fed[0]![0]!.min).toBeLessThan(0);
    predict.mockRestore();
    model.dispose();
  });

  it('rejects bad options with INVALID_OPTION, before running anything', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
    const predict = jest.spyOn(model, 'predict');
    const bad: unknown[] = [
      { runs: 0 },
      { runs: -1 },
      { runs: 1.5 },
      { runs: Number.NaN },
      { runs: '3' },
      { batchSize: 0 },
      { batchSize: Infinity },
      { warmup: -1 },
      { run: 5 },
      null,
      7,
    ];
    for (const options of bad) {
      await expect(measureLatency(model, options as MeasureLatencyOptions)).rejects.toMatchObject({
        name: 'PruneError',
        code: 'INVALID_OPTION',
      });
    }
    expect(predict).not.toHaveBeenCalled();
    // warmup 0 is allowed.
    const before = tf.memory().numTensors;
    expectSane(await measureLatency(model, { runs: 1, warmup: 0 }), 1, 1);
    expect(tf.memory().numTensors).toBe(before);
    predict.mockRestore();
    model.dispose();
  });

  it('rejects what is not a built LayersModel, and inputs of unknown size', async () => {
    await expect(measureLatency({} as tf.LayersModel)).rejects.toMatchObject({ code: 'NOT_A_LAYERS_MODEL' });
    await expect(measureLatency(new tf.GraphModel('file://nowhere/model.json') as unknown as tf.LayersModel)).rejects.toBeInstanceOf(
      PruneError,
    );
    await expect(measureLatency(tf.sequential())).rejects.toMatchObject({ code: 'MODEL_NOT_BUILT' });
    const variable = tf.sequential({ layers: [tf.layers.lstm({ inputShape: [null as unknown as number, 3], units: 2 })] });
    await expect(measureLatency(variable)).rejects.toMatchObject({ code: 'MODEL_NOT_BUILT' });
    variable.dispose();
  });
});
