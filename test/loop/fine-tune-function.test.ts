import * as tf from '@tensorflow/tfjs';
import { maxSteps, pruneIteratively, type FineTuneContext, type PruneIterativelyOptions, type TensorData } from '../../src/index';
import { mlp, pretrain, task, weightsOf } from './fixtures';

jest.setTimeout(60000);

describe('pruneIteratively with a custom fine-tune function', () => {
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

  test('receives a compiled model and the context: phase, step, the train data, the original model, seed and signal', async () => {
    const before = weightsOf(model);
    const controller = new AbortController();
    const train = d().train;
    const seen: Array<Omit<FineTuneContext, 'train' | 'original' | 'signal'> & { sameTrain: boolean; sameOriginal: boolean; sameSignal: boolean; compiled: boolean; units: number }> = [];
    const tensors = tf.memory().numTensors;
    const { model: small, report } = await pruneIteratively(model, { ...d(), train }, {
      compile,
      stop: maxSteps(2),
      schedule: { channelsPerStep: 2 },
      seed: 11,
      signal: controller.signal,
      fineTune: async (m, ctx) => {
        seen.push({
          phase: ctx.phase,
          step: ctx.step,
          seed: ctx.seed,
          sameTrain: ctx.train === train,
          sameOriginal: ctx.original === model,
          sameSignal: ctx.signal === controller.signal,
          compiled: m.optimizer !== undefined && m.optimizer !== null,
          units: (m.getLayer('h1').getWeights()[0].shape[1] as number) + (m.getLayer('h2').getWeights()[0].shape[1] as number),
        });
        const { x, y } = ctx.train as TensorData;
        await m.fit(x, y!, { epochs: 1, batchSize: 64, shuffle: false, verbose: 0 });
      },
    });
    const json = report.toJSON();
    expect(seen.map((s) => `${s.phase}:${s.step}`)).toEqual(['initial:0', 'step:1', 'step:2', 'final:2']);
    for (const s of seen) expect(s).toMatchObject({ seed: 11, sameTrain: true, sameOriginal: true, sameSignal: true, compiled: true });
    // Widths as the loop saw them: 28 before pruning, 26 and 24 after the steps, 24 for the final phase.
    expect(seen.map((s) => s.units)).toEqual([28, 26, 24, 24]);
    // The built-in amounts do not apply: fine-tuning seconds are the function's.
    expect(json.seconds.fineTune).toBeGreaterThan(0);
    expect(json.finalBeforeFineTune).toBeDefined();
    expect(weightsOf(model)).toEqual(before);
    small.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  // Regression (was a bug, fixed: src/finetune/compile-options.ts, compileModel): it remembers the *models* it compiled and
  // disposes `model.optimizer` when it compiles such a model again. A fine-tune function that
  // compiles the model with its own optimizer (a shared instance, a common pattern) replaces the
  // loop's optimizer; before the final phase the loop recompiles the returned model and disposes
  // the user's optimizer, and the next use of it throws "Cannot read properties of undefined
  // (reading 'backend')" from deep inside tfjs-core. The loop's own optimizer of that model, no
  // longer attached to it, is never freed.
  // Fix: remember the optimizer instance compileModel made (WeakMap<model, optimizer>) and dispose
  // that instance, never whatever is on the model; free it too when the loop drops the model.
  test('a function that compiles with its own shared optimizer: the run completes and the optimizer survives', async () => {
    const shared = tf.train.sgd(0.01);
    try {
      const { model: small } = await pruneIteratively(model, d(), {
        compile,
        stop: maxSteps(2),
        schedule: { channelsPerStep: 2 },
        fineTune: async (m) => {
          m.compile({ optimizer: shared, loss: 'categoricalCrossentropy' });
          await m.fit(data.xTrain, data.yTrain, { epochs: 1, batchSize: 64, verbose: 0 });
        },
      });
      small.dispose();
    } finally {
      shared.dispose();
    }
  });

  // Same root cause: a function that compiles with an optimizer name leaves the loop's factory-made
  // optimizers (two Adam scalars each) unreferenced and never freed: 8 tensors for this run.
  test('a function that recompiles the model leaks no tensor', async () => {
    const tensors = tf.memory().numTensors;
    const { model: small } = await pruneIteratively(model, d(), {
      compile,
      stop: maxSteps(2),
      schedule: { channelsPerStep: 2 },
      fineTune: async (m) => {
        m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
        await m.fit(data.xTrain, data.yTrain, { epochs: 1, batchSize: 64, verbose: 0 });
      },
    });
    small.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
