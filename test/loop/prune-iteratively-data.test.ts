import * as tf from '@tensorflow/tfjs';
import {
  analyze,
  anyOf,
  countParams,
  criteria,
  maxSteps,
  pruneIteratively,
  targetLatency,
  targetParams,
  type Criterion,
  type DatasetBatch,
  type PruneIterativelyOptions,
  type StepRecord,
} from '../../src/index';
import { TrainingStream } from '../../src/finetune/training-stream';
import { evaluateModel } from '../../src/metrics/evaluate-model';
import { perExampleLoss } from '../../src/data/per-example-loss';
import { accuracy } from '../../src/metrics/metric';
import { mlp, pretrain, task, weightsOf } from './fixtures';

jest.setTimeout(60000);

type Ds = tf.data.Dataset<DatasetBatch>;

/** Channels of every prunable group of a model, read back from the model. */
const widths = (model: tf.LayersModel): Record<string, number> =>
  Object.fromEntries(analyze(model).groups.filter((g) => g.prunable).map((g) => [g.id, g.size]));

describe('pruneIteratively: data, objectives and schedule options', () => {
  let data: ReturnType<typeof task>;
  let model: tf.Sequential;
  let compile: PruneIterativelyOptions['compile'];

  beforeAll(async () => {
    data = task();
    model = mlp();
    await pretrain(model, data.xTrain, data.yTrain);
    compile = { optimizer: () => tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] };
  });
  afterAll(() => {
    model.dispose();
    tf.dispose(data);
  });
  const tensors = () => ({ train: { x: data.xTrain, y: data.yTrain }, validation: { x: data.xVal, y: data.yVal } });

  test('datasets that yield the batches the tensor stream would draw give the same run as the tensors', async () => {
    const seed = 5;
    const batchSize = 32;
    // The tensor run draws its minibatches from a TrainingStream with the run's seed (a new
    // shuffled order every epoch); a dataset is read in its own order. So the dataset is made of
    // exactly the batches that stream yields: 3 epochs of 12, more than the run draws (3 x 10).
    const recorder = new TrainingStream(model, { x: data.xTrain, y: data.yTrain }, batchSize, seed, true);
    const elements: Array<{ xs: tf.Tensor; ys: tf.Tensor }> = [];
    for (let i = 0; i < 36; i++) {
      const b = (await recorder.next())!;
      elements.push({ xs: b.x[0], ys: b.y![0] });
    }
    const train = tf.data.array(elements) as unknown as Ds;
    // Validation measured in one batch of 128 either way; scoring in batches of 32 either way
    // (the tensor run scores the first 256 validation examples, i.e. all 128, in batches of 32).
    const validation = tf.data.array([{ xs: data.xVal, ys: data.yVal }]) as unknown as Ds;
    const scoring = tf.data.zip({ xs: tf.data.array(data.xVal.unstack()), ys: tf.data.array(data.yVal.unstack()) }).batch(32) as unknown as Ds;
    const before = tf.memory().numTensors;

    const options: PruneIterativelyOptions = { compile, stop: maxSteps(3), schedule: { channelsPerStep: 3 }, fineTune: { steps: 10, batchSize }, seed };
    const a = await pruneIteratively(model, tensors(), options);
    const b = await pruneIteratively(model, { train, validation, scoring }, options);
    const ja = a.report.toJSON();
    const jb = b.report.toJSON();
    expect(jb.steps).toHaveLength(3);
    expect(jb.steps.map((s) => s.removedPerGroup)).toEqual(ja.steps.map((s) => s.removedPerGroup));
    expect(jb.steps.map((s) => s.channels)).toEqual(ja.steps.map((s) => s.channels));
    jb.steps.forEach((s, i) => {
      for (const k of ['loss', 'accuracy']) {
        expect(s.metricsBeforeFineTune[k]).toBeCloseTo(ja.steps[i].metricsBeforeFineTune[k], 5);
        expect(s.metricsAfterFineTune[k]).toBeCloseTo(ja.steps[i].metricsAfterFineTune[k], 5);
      }
    });
    expect(jb.baseline).toEqual(ja.baseline);
    const wa = weightsOf(a.model);
    const wb = weightsOf(b.model);
    wa.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(wb[i][j] - v)).toBeLessThan(1e-5)));
    a.model.dispose();
    b.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(elements);
  });

  test('an ordinary batched dataset (not shuffled) trains in its own order and the report measures the returned model', async () => {
    const train = tf.data.zip({ xs: tf.data.array(data.xTrain.unstack()), ys: tf.data.array(data.yTrain.unstack()) }).batch(64) as unknown as Ds;
    const validation = tf.data.zip({ xs: tf.data.array(data.xVal.unstack()), ys: tf.data.array(data.yVal.unstack()) }).batch(50) as unknown as Ds;
    const before = tf.memory().numTensors;
    // 6 elements per epoch: fineTune.epochs 1 is one pass; batchSize does not apply to a dataset.
    const { model: small, report } = await pruneIteratively(model, { train, validation }, {
      compile,
      stop: maxSteps(2),
      schedule: { channelsPerStep: 4 },
      fineTune: { epochs: 1, batchSize: 7 },
    });
    const json = report.toJSON();
    expect(json.steps).toHaveLength(2);
    expect(json.steps[1].channels).toEqual(widths(small));
    // final.metrics are the returned model's, over all 128 validation examples (batches 50, 50, 28).
    const check = await evaluateModel(small, { x: data.xVal, y: data.yVal }, perExampleLoss(small, 'categoricalCrossentropy'), [accuracy()], 128, 'check');
    expect(json.final.metrics.accuracy).toBeCloseTo(check.accuracy, 6);
    expect(json.final.metrics.loss).toBeCloseTo(check.loss, 5);
    small.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test("objective 'latency' with targetLatency measures latencyMs in the baseline, every step and the final model", async () => {
    const before = tf.memory().numTensors;
    const { model: small, report } = await pruneIteratively(model, tensors(), {
      compile,
      objective: 'latency',
      // A tiny MLP's latency is mostly overhead, so the target may never be met: cap the steps.
      stop: anyOf(targetLatency(0.3), maxSteps(2)),
      schedule: { channelsPerStep: 4 },
      fineTune: { steps: 2 },
    });
    const json = report.toJSON();
    expect(json.objective).toBe('latency');
    const values = [json.baseline.latencyMs, ...json.steps.map((s) => s.latencyMs), json.final.latencyMs];
    expect(values).toHaveLength(json.steps.length + 2);
    for (const v of values) {
      expect(typeof v).toBe('number');
      expect(v!).toBeGreaterThan(0);
      expect(Number.isFinite(v!)).toBe(true);
    }
    if (json.stoppedBy === 'targetLatency(0.3)') expect(json.steps[json.steps.length - 1].latencyMs! / json.baseline.latencyMs!).toBeLessThanOrEqual(0.3);
    else expect(json.stoppedBy).toBe('maxSteps(2)');
    small.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('latency is not measured unless the objective or a policy asks for it', async () => {
    const { model: small, report } = await pruneIteratively(model, tensors(), { compile, stop: maxSteps(1), fineTune: { steps: 1 } });
    const json = report.toJSON();
    expect(json.baseline.latencyMs).toBeUndefined();
    expect(json.steps[0].latencyMs).toBeUndefined();
    expect(json.final.latencyMs).toBeUndefined();
    small.dispose();
  });

  test("objective 'params' with targetParams stops at the first step at or under the params target", async () => {
    const before = tf.memory().numTensors;
    const { model: small, report } = await pruneIteratively(model, tensors(), {
      compile,
      objective: 'params',
      criterion: criteria.l1Norm({ flopsPenalty: 0.5 }),
      stop: targetParams(0.6),
      schedule: { channelsPerStep: 2 },
      fineTune: { steps: 2 },
    });
    const json = report.toJSON();
    expect(json.objective).toBe('params');
    expect(json.stoppedBy).toBe('targetParams(0.6)');
    const ratios = json.steps.map((s) => s.params / json.baseline.params);
    expect(ratios[ratios.length - 1]).toBeLessThanOrEqual(0.6);
    ratios.slice(0, -1).forEach((r) => expect(r).toBeGreaterThan(0.6));
    expect(json.final.params).toBe(countParams(small).total);
    expect(json.final.params).toBe(json.steps[json.steps.length - 1].params);
    expect(json.rolledBackTo).toBeUndefined();
    small.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('exclude keeps a group untouched through the run (by layer name or by predicate)', async () => {
    const before = tf.memory().numTensors;
    for (const exclude of [['h1'], (g: { id: string }) => g.id === 'h1'] as const) {
      const { model: small, report } = await pruneIteratively(model, tensors(), {
        compile,
        stop: maxSteps(3),
        schedule: { channelsPerStep: 2, exclude },
        fineTune: { steps: 1 },
      });
      const json = report.toJSON();
      expect(json.steps.map((s) => s.channels)).toEqual([
        { h1: 16, h2: 10 },
        { h1: 16, h2: 8 },
        { h1: 16, h2: 6 },
      ]);
      json.steps.forEach((s) => expect(s.removedPerGroup).toEqual({ h2: 2 }));
      expect(widths(small)).toEqual({ h1: 16, h2: 6 });
      // h1's weights are the original ones except for fine-tuning: same shape as the input's.
      expect(small.getLayer('h1').getWeights()[0].shape).toEqual([8, 16]);
      small.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  test('roundTo: every pruned group keeps a multiple of roundTo channels', async () => {
    const before = tf.memory().numTensors;
    const { model: small, report } = await pruneIteratively(model, tensors(), {
      compile,
      stop: maxSteps(4),
      schedule: { channelsPerStep: 3, roundTo: 4, minChannels: 4 },
      fineTune: { steps: 1 },
    });
    const json = report.toJSON();
    expect(json.steps.length).toBeGreaterThan(0);
    for (const s of json.steps) {
      for (const [id, n] of Object.entries(s.channels)) expect([id, n % 4]).toEqual([id, 0]);
      // At least the 3 asked for, rounded up to land on multiples.
      expect(Object.values(s.removedPerGroup).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3);
    }
    for (const n of Object.values(widths(small))) expect(n % 4).toBe(0);
    small.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('verbose prints one line per step, plus the baseline and the outcome; silent otherwise', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const run = await pruneIteratively(model, tensors(), { compile, stop: maxSteps(3), schedule: { channelsPerStep: 2 }, fineTune: { steps: 1 }, verbose: true });
      const lines = log.mock.calls.map((c) => String(c[0]));
      expect(log.mock.calls.every((c) => c.length === 1)).toBe(true);
      expect(lines).toHaveLength(5);
      expect(lines[0]).toMatch(/^\[tfjs-prune\] baseline: \d+ params, \d+ MACs, loss [\d.]+, accuracy [\d.]+$/);
      expect(lines.slice(1, 4).map((l) => /^\[tfjs-prune\] step (\d+): removed /.exec(l)?.[1])).toEqual(['1', '2', '3']);
      const steps = run.report.toJSON().steps;
      lines.slice(1, 4).forEach((l, i) => {
        expect(l).toContain(`channels h1:${steps[i].channels.h1} h2:${steps[i].channels.h2}`);
        expect(l).toMatch(/loss [\d.]+ -> [\d.]+, accuracy [\d.]+ -> [\d.]+ \| [\d.]+ s$/);
      });
      expect(lines[4]).toMatch(/^\[tfjs-prune\] stopped by maxSteps\(3\) \(.*\); returning step 3: FLOPs [\d.]+%$/);
      run.model.dispose();

      log.mockClear();
      const quiet = await pruneIteratively(model, tensors(), { compile, stop: maxSteps(1), fineTune: { steps: 1 } });
      expect(log).not.toHaveBeenCalled();
      quiet.model.dispose();
    } finally {
      log.mockRestore();
    }
  });

  test('onStep is awaited: the next step waits for it, and so does the result', async () => {
    const events: string[] = [];
    const l1 = criteria.l1Norm();
    const recording: Criterion = { name: 'recordingL1', needs: [], score: (input) => (events.push('score'), l1.score(input)) };
    const before = tf.memory().numTensors;
    const seen: StepRecord[] = [];
    const { model: small, report } = await pruneIteratively(model, tensors(), {
      compile,
      criterion: recording,
      stop: maxSteps(3),
      schedule: { channelsPerStep: 2 },
      fineTune: { steps: 1 },
      onStep: async (record) => {
        events.push(`start ${record.step}`);
        await new Promise((resolve) => setTimeout(resolve, 30));
        seen.push(record);
        events.push(`end ${record.step}`);
      },
    });
    events.push('returned');
    expect(events).toEqual(['score', 'start 1', 'end 1', 'score', 'start 2', 'end 2', 'score', 'start 3', 'end 3', 'returned']);
    expect(seen).toEqual(report.toJSON().steps);
    small.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('an onStep that rejects ends the run with its error and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    await expect(
      pruneIteratively(model, tensors(), {
        compile,
        stop: maxSteps(5),
        schedule: { channelsPerStep: 2 },
        fineTune: { steps: 1 },
        onStep: async (r) => {
          if (r.step === 2) throw new Error('listener failed');
        },
      }),
    ).rejects.toThrow('listener failed');
    expect(tf.memory().numTensors).toBe(before);
  });

  // Regression (was a bug, fixed: src/finetune/compile-options.ts, resolveCompile): unknown keys of `compile` are not
  // refused, unlike those of the options, `schedule` and `fineTune`. A typo such as `metric` for
  // `metrics` runs the whole pruning without the metric (the report has only the loss), and a
  // bound on it would fail only because the metric is "not measured", far from the cause.
  // Fix: check compile's keys against ['optimizer', 'loss', 'metrics'] in resolveCompile.
  test('a misspelt compile key is refused before any work', async () => {
    const tensors = tf.memory().numTensors;
    let thrown: unknown;
    try {
      const run = await pruneIteratively(model, { train: { x: data.xTrain, y: data.yTrain }, validation: { x: data.xVal, y: data.yVal } }, {
        compile: { optimizer: 'adam', loss: 'categoricalCrossentropy', metric: ['accuracy'] } as never,
        stop: maxSteps(1),
        fineTune: { steps: 1 },
      });
      run.model.dispose();
    } catch (e) {
      thrown = e;
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(thrown).toMatchObject({ name: 'PruneError', code: 'INVALID_OPTION' });
  });
});
