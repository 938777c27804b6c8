import * as tf from '@tensorflow/tfjs';
import { createReport, createPruner, criteria, maxSteps, memoryCheckpointStore, pruneIteratively } from '../../src';
import { expectPruneError, expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { uniformTensor } from '../helpers/uniform-tensor';

jest.setTimeout(60000);


/**
 * input 6 -> hidden (6 linear units) -> out 3 (relu). Unit 5 is 0.1 × (unit 0 + unit 1), weights and
 * bias, so it has the smallest L1 norm and removing it loses nothing a refit of `out` cannot restore.
 */
function redundantModel(): tf.LayersModel {
  const input = tf.input({ shape: [6] });
  const hidden = tf.layers.dense({ units: 6, name: 'hidden' });
  const out = tf.layers.dense({ units: 3, name: 'out', activation: 'relu' });
  const model = tf.model({ inputs: input, outputs: out.apply(hidden.apply(input)) as tf.SymbolicTensor });
  tf.tidy(() => {
    const k = (uniformTensor([6, 6], 1).arraySync() as number[][]).map((row) => row.map((v) => (v >= 0 ? v + 1 : v - 1)));
    k.forEach((row) => (row[5] = 0.1 * (row[0] + row[1])));
    const b = [0.1, -0.2, 0.3, 0, 0.05, -0.01];
    hidden.setWeights([tf.tensor2d(k), tf.tensor1d(b)]);
    out.setWeights([uniformTensor([6, 3], 2), tf.tensor1d([0.2, 0.1, -0.3])]);
  });
  return model;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

describe('compensate option of createPruner and pruneIteratively', () => {
  let model: tf.LayersModel;
  let x: tf.Tensor;
  let y: tf.Tensor;
  beforeAll(() => {
    model = redundantModel();
    x = uniformTensor([64, 6], 3);
    y = model.predict(x) as tf.Tensor;
  });
  afterAll(() => {
    tf.dispose([x, y]);
    model.dispose();
  });

  test('createPruner: each step is refit against the model before it, and says what it did', async () => {
    const before = tf.memory().numTensors;
    const plain = createPruner(model, { criterion: criteria.l1Norm(), schedule: { channelsPerStep: 1 } });
    const fixed = createPruner(model, { criterion: criteria.l1Norm(), schedule: { channelsPerStep: 1 }, data: { x }, compensate: { damping: 1e-9 } });
    const p = await plain.step();
    const c = await fixed.step();
    expect(Array.from(c.removals.hidden as ArrayLike<number>)).toEqual([5]);
    expect(p.compensation).toBeUndefined();
    expect(p.seconds.compensation).toBeUndefined();
    const [ref, outP, outC] = tf.tidy(() => [y, p.model!.predict(x) as tf.Tensor, c.model!.predict(x) as tf.Tensor].map((t) => t.dataSync()));
    expect(maxDiff(ref, outP)).toBeGreaterThan(0.01);
    expect(maxDiff(ref, outC)).toBeLessThan(1e-4);
    expect(c.compensation!.examples).toBe(64);
    expect(c.compensation!.layers.map((l) => l.layer)).toEqual(['out']);
    expect(c.compensation!.layers[0].columns).toBe(6); // 5 kept inputs + bias
    expect(c.compensation!.layers[0].errorAfter).toBeLessThan(1e-8);
    expect(c.compensation!.layers[0].errorBefore).toBeGreaterThan(1e-4);
    expect(c.seconds.compensation).toBe(c.compensation!.seconds);
    p.model!.dispose();
    c.model!.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('pruneIteratively with fineTune of 0 steps is post-training pruning: the step keeps the outputs, the report has the time', async () => {
    const before = tf.memory().numTensors;
    const store = memoryCheckpointStore();
    const options = {
      criterion: criteria.l1Norm(),
      schedule: { channelsPerStep: 1 },
      compile: { optimizer: 'sgd', loss: 'meanSquaredError' },
      fineTune: { steps: 0 },
      stop: maxSteps(1),
      compensate: { damping: 1e-9 },
      checkpoint: store,
    } as const;
    const data = { train: { x, y }, validation: { x, y } };
    const { model: pruned, report } = await pruneIteratively(model, data, options);
    const json = report.toJSON();
    expect(json.steps).toHaveLength(1);
    const step = json.steps[0];
    expect(step.removedPerGroup).toEqual({ hidden: 1 });
    expect(step.compensation!.examples).toBe(64); // the first 1,024 training examples: all 64
    expect(step.compensation!.layers[0].layer).toBe('out');
    expect(step.metricsBeforeFineTune.loss).toBeLessThan(1e-8);
    expect(step.seconds.compensation).toBeGreaterThan(0);
    expect(json.seconds.compensation).toBeCloseTo(step.seconds.compensation!, 10);
    expect(report.toMarkdown()).toContain('compensation (s)');
    // The report and the checkpointed state read back with the compensation record.
    expect(createReport(JSON.parse(JSON.stringify(json))).toJSON().steps[0].compensation!.layers[0].layer).toBe('out');
    const again = await pruneIteratively(model, data, { ...options, resume: true });
    expect(again.report.toJSON().steps[0].compensation!.layers[0].layer).toBe('out');
    again.model.dispose();
    const [ref, out] = tf.tidy(() => [y.dataSync(), (pruned.predict(x) as tf.Tensor).dataSync()]);
    expect(maxDiff(ref, out)).toBeLessThan(1e-4);
    pruned.dispose();
    await store.clear();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a checkpoint written with other compensation settings is refused on resume', async () => {
    const store = memoryCheckpointStore();
    const base = {
      criterion: criteria.l1Norm(),
      schedule: { channelsPerStep: 1 },
      compile: { optimizer: 'sgd', loss: 'meanSquaredError' },
      fineTune: { steps: 0 },
      stop: maxSteps(1),
      checkpoint: store,
    } as const;
    const data = { train: { x, y } };
    const first = await pruneIteratively(model, data, { ...base, compensate: { damping: 1e-9 } });
    first.model.dispose();
    await expectPruneErrorAsync(() => pruneIteratively(model, data, { ...base, compensate: { damping: 0.1 }, resume: true }), 'CHECKPOINT_INVALID', 'other settings');
    await store.clear();
  });

  test('bad compensate options are refused up front', async () => {
    expectPruneError(() => createPruner(model, { criterion: criteria.l1Norm(), compensate: true }), 'MISSING_DATA', 'compensate needs calibration samples');
    expectPruneError(() => createPruner(model, { criterion: criteria.l1Norm(), data: { x }, compensate: 'yes' as unknown as boolean }), 'INVALID_OPTION', 'compensate must be true, false or an object');
    expectPruneError(() => createPruner(model, { criterion: criteria.l1Norm(), data: { x }, compensate: { damping: -1 } }), 'INVALID_OPTION', 'damping');
    expectPruneError(() => createPruner(model, { criterion: criteria.l1Norm(), compensate: { data: { x: tf.zeros([0, 6]) } } }), 'MISSING_DATA');
    const before = tf.memory().numTensors;
    const options = { compile: { optimizer: 'sgd', loss: 'meanSquaredError' }, stop: maxSteps(1), criterion: criteria.l1Norm() } as const;
    await expectPruneErrorAsync(() => pruneIteratively(model, { train: { x, y } }, { ...options, compensate: { dampng: 1 } as never }), 'INVALID_OPTION', "unknown option(s) 'dampng'");
    await expectPruneErrorAsync(() => pruneIteratively(model, { train: { x, y } }, { ...options, compensate: { data: { x: tf.ones([4, 5]) } } }), 'DATA_MISMATCH', 'compensate.data');
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 1); // the ones([4, 5]) made above
  });
});
