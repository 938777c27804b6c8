import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileCheckpointStore } from '../../src/node/index';
import { criteria } from '../../src/criteria/criteria';
import { memoryCheckpointStore } from '../../src/checkpoint/memory-checkpoint-store';
import { distill } from '../../src/finetune/fine-tune-options';
import { pruneIteratively } from '../../src/prune-iteratively';
import type { PruneIterativelyOptions } from '../../src/loop/loop-config';
import type { StepRecord } from '../../src/report/step-record';
import { anyOf } from '../../src/stopping/any-of';
import { maxMetricDrop } from '../../src/stopping/max-metric-drop';
import { maxSteps } from '../../src/stopping/max-steps';
import { minMetric } from '../../src/stopping/min-metric';
import { targetFlops } from '../../src/stopping/target-flops';
import { countFlops } from '../../src/metrics/count-flops';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { mlp, pretrain, task, weightsOf } from './fixtures';

jest.setTimeout(120000);

describe('pruneIteratively', () => {
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
  const d = () => ({ train: { x: data.xTrain, y: data.yTrain }, validation: { x: data.xVal, y: data.yVal } });

  test('prunes to a FLOPs target, leaves the input model untouched, leaks nothing', async () => {
    const before = weightsOf(model);
    const tensors = tf.memory().numTensors;
    const records: StepRecord[] = [];
    const { model: small, report } = await pruneIteratively(model, d(), {
      compile,
      stop: targetFlops(0.5),
      schedule: { channelsPerStep: { fraction: 0.1 } },
      fineTune: { steps: 10, batchSize: 32 },
      onStep: (r) => {
        records.push(r);
      },
    });
    const json = report.toJSON();
    expect(json.stoppedBy).toBe('targetFlops(0.5)');
    expect(json.final.flops).toBe(countFlops(small).total);
    expect(json.final.flops).toBeLessThanOrEqual(0.5 * json.baseline.flops);
    // The step before the last was still above the target.
    expect(json.steps[json.steps.length - 2].flops).toBeGreaterThan(0.5 * json.baseline.flops);
    expect(json.baseline.flops).toBe(countFlops(model).total);
    expect(json.steps).toEqual(records);
    expect(records.map((r) => r.step)).toEqual(records.map((_, i) => i + 1));
    expect(Object.keys(json.baseline.metrics).sort()).toEqual(['accuracy', 'loss']);
    expect(json.criterion).toBe('taylor');
    // Each step removes 10% of the remaining prunable channels.
    expect(records[0].removedPerGroup.h1 ?? 0 + (records[0].removedPerGroup.h2 ?? 0)).toBeGreaterThan(0);
    expect(Object.values(records[0].removedPerGroup).reduce((a, b) => a + b, 0)).toBe(3);
    expect(records[0].channels.h1 + records[0].channels.h2).toBe(25);
    // The returned model is compiled and works; the input is unchanged.
    expect(small.optimizer).toBeDefined();
    expect(weightsOf(model)).toEqual(before);
    small.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('a broken accuracy bound rolls back to the last model that met it', async () => {
    const { model: small, report } = await pruneIteratively(model, d(), {
      compile,
      stop: anyOf(minMetric('accuracy', 0.8), maxSteps(12)),
      schedule: { channelsPerStep: { fraction: 0.3 } },
      fineTune: { steps: 0 },
      criterion: criteria.random({ seed: 1 }),
    });
    const json = report.toJSON();
    const last = json.steps[json.steps.length - 1];
    expect(last.metricsAfterFineTune.accuracy).toBeLessThan(0.8);
    expect(json.stoppedBy).toBe('minMetric(accuracy, 0.8)');
    const kept = json.rolledBackTo!.step;
    expect(kept).toBe(json.steps.length - 1);
    const keptAccuracy = kept === 0 ? json.baseline.metrics.accuracy : json.steps[kept - 1].metricsAfterFineTune.accuracy;
    expect(keptAccuracy).toBeGreaterThanOrEqual(0.8);
    expect(json.final.metrics.accuracy).toBeCloseTo(keptAccuracy, 6);
    expect(json.final.flops).toBe(kept === 0 ? json.baseline.flops : json.steps[kept - 1].flops);
    small.dispose();
  });

  test('an abort returns the best model so far', async () => {
    const controller = new AbortController();
    const { model: small, report } = await pruneIteratively(model, d(), {
      compile,
      stop: targetFlops(0.1),
      schedule: { channelsPerStep: 2 },
      fineTune: { steps: 5 },
      signal: controller.signal,
      onStep: (r) => {
        if (r.step === 2) controller.abort();
      },
    });
    const json = report.toJSON();
    expect(json.stoppedBy).toBe('aborted');
    expect(json.steps).toHaveLength(2);
    expect(json.final.flops).toBe(json.steps[1].flops);
    small.dispose();
  });

  test('a diverging fine-tune rolls the step back and stops with reason diverged', async () => {
    let steps = 0;
    const { model: small, report } = await pruneIteratively(model, d(), {
      compile: { ...compile, optimizer: () => tf.train.sgd(steps++ === 0 ? 0.01 : 1e30) },
      stop: maxSteps(5),
      schedule: { channelsPerStep: 2 },
      fineTune: { steps: 5 },
    });
    const json = report.toJSON();
    expect(json.stoppedBy).toBe('diverged');
    expect(json.steps).toHaveLength(0);
    expect(json.final.flops).toBe(json.baseline.flops);
    expect(Number.isFinite(json.final.metrics.loss)).toBe(true);
    small.dispose();
  });

  test('a resumed run after a crash ends where an uninterrupted run ends', async () => {
    const options = (extra: Partial<PruneIterativelyOptions>): PruneIterativelyOptions => ({
      compile,
      stop: maxSteps(4),
      schedule: { channelsPerStep: 2 },
      fineTune: { steps: 6, batchSize: 16, final: { steps: 4 } },
      seed: 7,
      ...extra,
    });
    const straight = await pruneIteratively(model, d(), options({}));
    const store = memoryCheckpointStore();
    const tensors = tf.memory().numTensors;
    await expect(
      pruneIteratively(model, d(), options({ checkpoint: store, onStep: (r) => { if (r.step === 2) throw new Error('simulated crash'); } })),
    ).rejects.toThrow('simulated crash');
    expect(tf.memory().numTensors).toBe(tensors);
    expect((await store.load())!.step).toBe(2);
    const resumed = await pruneIteratively(model, d(), options({ checkpoint: store, resume: true }));
    const a = straight.report.toJSON();
    const b = resumed.report.toJSON();
    expect(b.steps.map((s) => s.channels)).toEqual(a.steps.map((s) => s.channels));
    expect(b.steps.map((s) => s.metricsAfterFineTune)).toEqual(a.steps.map((s) => s.metricsAfterFineTune));
    expect(b.final.metrics).toEqual(a.final.metrics);
    expect(weightsOf(resumed.model)).toEqual(weightsOf(straight.model));
    straight.model.dispose();
    resumed.model.dispose();
  });

  test('resuming with another custom fine-tune function (even of the same length) is refused', async () => {
    const store = memoryCheckpointStore();
    let seen = 0;
    // Same source length, different bodies: the settings compare the functions' text.
    const tuneA = async (): Promise<void> => { seen += 1; };
    const tuneB = async (): Promise<void> => { seen += 2; };
    expect(String(tuneA).length).toBe(String(tuneB).length);
    const run = (fineTune: typeof tuneA, extra: Partial<PruneIterativelyOptions> = {}) =>
      pruneIteratively(model, d(), { compile, stop: maxSteps(3), schedule: { channelsPerStep: 2 }, fineTune, checkpoint: store, seed: 3, ...extra });
    await expect(run(tuneA, { onStep: (r) => { if (r.step === 1) throw new Error('simulated crash'); } })).rejects.toThrow('simulated crash');
    await expectPruneErrorAsync(() => run(tuneB, { resume: true }), 'CHECKPOINT_INVALID', 'other settings');
    const resumed = await run(tuneA, { resume: true });
    expect(resumed.report.toJSON().steps).toHaveLength(3);
    expect(seen).toBeGreaterThan(0);
    resumed.model.dispose();
  });

  test('resume from the Node file store after a crash ends where an uninterrupted run ends', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-prune-resume-'));
    try {
      const options = (extra: Partial<PruneIterativelyOptions>): PruneIterativelyOptions => ({
        compile,
        stop: maxSteps(3),
        schedule: { channelsPerStep: 2 },
        fineTune: { steps: 4, batchSize: 16 },
        seed: 11,
        ...extra,
      });
      const straight = await pruneIteratively(model, d(), options({}));
      await expect(
        pruneIteratively(model, d(), options({ checkpoint: fileCheckpointStore(dir), onStep: (r) => { if (r.step === 1) throw new Error('killed'); } })),
      ).rejects.toThrow('killed');
      // A new store object on the same directory, as after a restart.
      const resumed = await pruneIteratively(model, d(), options({ checkpoint: fileCheckpointStore(dir), resume: true }));
      expect(resumed.report.toJSON().steps.map((s) => s.metricsAfterFineTune)).toEqual(straight.report.toJSON().steps.map((s) => s.metricsAfterFineTune));
      expect(weightsOf(resumed.model)).toEqual(weightsOf(straight.model));
      // Other settings cannot resume this checkpoint.
      await expectPruneErrorAsync(() => pruneIteratively(model, d(), options({ checkpoint: fileCheckpointStore(dir), resume: true, seed: 12 })), 'CHECKPOINT_INVALID', 'other settings');
      straight.model.dispose();
      resumed.model.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('distillation fine-tunes on unlabeled inputs toward the original model', async () => {
    const { model: small, report } = await pruneIteratively(model, { train: { x: data.xTrain }, validation: { x: data.xVal, y: data.yVal } }, {
      compile,
      stop: maxSteps(2),
      schedule: { channelsPerStep: { fraction: 0.3 } },
      fineTune: distill({ temperature: 2, steps: 30 }),
    });
    const json = report.toJSON();
    for (const s of json.steps) expect(s.metricsAfterFineTune.loss).toBeLessThan(s.metricsBeforeFineTune.loss);
    small.dispose();
  });

  test('a custom fine-tune function is called for every step and for the final phase', async () => {
    const calls: string[] = [];
    const { model: small } = await pruneIteratively(model, d(), {
      compile,
      stop: maxSteps(2),
      schedule: { channelsPerStep: 2 },
      fineTune: async (m, ctx) => {
        calls.push(`${ctx.phase}:${ctx.step}`);
        await m.fit(data.xTrain, data.yTrain, { epochs: 1, batchSize: 64, verbose: 0 });
      },
    });
    expect(calls).toEqual(['initial:0', 'step:1', 'step:2', 'final:2']);
    small.dispose();
  });

  test('no tensor leaks across many steps', async () => {
    const tensors = tf.memory().numTensors;
    const { model: small, report } = await pruneIteratively(model, d(), {
      compile,
      stop: maxSteps(8),
      schedule: { channelsPerStep: 2 },
      fineTune: { steps: 3 },
      criterion: criteria.taylor(),
    });
    expect(report.toJSON().steps).toHaveLength(8);
    small.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('refuses bad input before any work', async () => {
    const tensors = tf.memory().numTensors;
    const run = (options: unknown, dataArg: unknown = d()) => pruneIteratively(model, dataArg as never, options as never);
    await expectPruneErrorAsync(() => run({ stop: maxSteps(1) }), 'INVALID_OPTION', '`compile` is required');
    await expectPruneErrorAsync(() => run({ compile }), 'INVALID_OPTION', '`stop` is required');
    await expectPruneErrorAsync(() => run({ compile, stop: maxMetricDrop('accuracy', 0.01) }, { train: d().train }), 'MISSING_DATA', 'data.validation');
    await expectPruneErrorAsync(() => run({ compile, stop: maxMetricDrop('f1', 0.01) }), 'INVALID_OPTION', "metric 'f1'");
    const narrow = data.xVal.slice([0, 0], [4, 4]);
    await expectPruneErrorAsync(() => run({ compile, stop: maxSteps(1) }, { train: { x: narrow, y: data.yVal } }), 'DATA_MISMATCH', '[4, 4]', '[batch, 8]');
    narrow.dispose();
    await expectPruneErrorAsync(() => run({ compile, stop: maxSteps(1), schedule: { maxRatio: 3 } }), 'INVALID_OPTION', 'maxRatio');
    await expectPruneErrorAsync(() => run({ compile, stop: maxSteps(1), fineTune: { steps: -1 } }), 'INVALID_OPTION', 'steps');
    await expectPruneErrorAsync(() => run({ compile, stop: maxSteps(1), resume: true }), 'INVALID_OPTION', 'checkpoint');
    await expectPruneErrorAsync(() => run({ compile, stop: maxSteps(1), epochs: 3 }), 'INVALID_OPTION', 'unknown option(s) epochs');
    await expectPruneErrorAsync(() => run({ compile: { ...compile, optimizer: 'adamw' }, stop: maxSteps(1) }), 'INVALID_OPTION', "'adamw'");
    await expectPruneErrorAsync(() => run({ compile, stop: maxSteps(1) }, { validation: d().validation }), 'MISSING_DATA', 'train');
    expect(() => targetFlops(1.2)).toThrow('already meets');
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
