import * as tf from '@tensorflow/tfjs';
import { agentReward } from '../../src/agent/agent-reward';
import { agentCriterion } from '../../src/agent/agent-criterion';
import { learnToPrune, type LearnToPruneOptions } from '../../src/agent/learn-to-prune';
import { pruneIteratively } from '../../src/prune-iteratively';
import { maxSteps } from '../../src/stopping/max-steps';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { pretrain, task, weightsOf } from '../loop/fixtures';

jest.setTimeout(120000);

/** Units of 'h' whose incoming weights and bias are zero: with ReLU they always output 0. */
const PLANTED = [1, 4, 6, 9];

function plantedModel(): tf.Sequential {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: 40 + s });
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [8], units: 12, activation: 'relu', name: 'h', kernelInitializer: init(1) }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelInitializer: init(2) }),
    ],
  });
}

function zeroUnits(model: tf.LayersModel, units: number[]): void {
  const [k, b] = model.getLayer('h').getWeights();
  const mask = Array.from({ length: 12 }, (_, i) => (units.includes(i) ? 0 : 1));
  const k2 = tf.tidy(() => k.mul(tf.tensor2d(mask, [1, 12])));
  const b2 = tf.tidy(() => b.mul(tf.tensor1d(mask)));
  model.getLayer('h').setWeights([k2, b2]);
  tf.dispose([k2, b2]);
}

describe('agentReward', () => {
  test('R = psi * phi by hand; negative beyond the bound; zero when keeping everything', () => {
    const r = agentReward({ accuracy: 0.92, prunedAccuracy: 0.915, bound: 0.01, channels: 64, kept: 40 });
    expect(r.psi).toBeCloseTo(0.5, 10);
    expect(r.phi).toBeCloseTo(Math.log(64 / 40), 10);
    expect(r.reward).toBeCloseTo(0.5 * Math.log(1.6), 10);
    expect(agentReward({ accuracy: 0.92, prunedAccuracy: 0.89, bound: 0.01, channels: 10, kept: 5 }).reward).toBeCloseTo(-2 * Math.log(2), 10);
    expect(agentReward({ accuracy: 0.9, prunedAccuracy: 0.5, bound: 0.01, channels: 10, kept: 10 }).reward).toBeCloseTo(0, 12);
    expect(() => agentReward({ accuracy: 0.9, prunedAccuracy: 0.9, bound: 0, channels: 10, kept: 5 })).toThrow('bound b must be a positive number');
    expect(() => agentReward({ accuracy: 0.9, prunedAccuracy: 0.9, bound: 0.01, channels: 10, kept: 0 })).toThrow('kept (0)');
  });
});

describe('learnToPrune', () => {
  let data: ReturnType<typeof task>;
  let model: tf.Sequential;
  let base: LearnToPruneOptions;
  beforeAll(async () => {
    data = task(512, 256);
    model = plantedModel();
    zeroUnits(model, PLANTED);
    await pretrain(model, data.xTrain, data.yTrain, 15);
    zeroUnits(model, PLANTED); // training may have revived them a little: plant them again
    base = {
      compile: { optimizer: () => tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
      b: 0.03,
      fineTune: { steps: 5 },
      agent: { samplesPerUpdate: 8, updatesPerLayer: 40, evaluationExamples: 256 },
      seed: 3,
    };
  });
  afterAll(() => {
    model.dispose();
    tf.dispose(data);
  });
  const d = () => ({ train: { x: data.xTrain, y: data.yTrain }, validation: { x: data.xVal, y: data.yVal } });

  test('the agent learns to drop planted dead units and keep the useful ones; nothing leaks', async () => {
    const before = weightsOf(model);
    const tensors = tf.memory().numTensors;
    const { model: small, report } = await learnToPrune(model, d(), { ...base, b: 0.03 });
    const json = report.toJSON();
    const trace = json.agent![0];
    expect(trace.group).toBe('h');
    expect(json.steps[0].removedPerGroup.h).toBe(12 - trace.kept);
    // Every planted unit is dropped; useful ones only as far as the bound allows.
    expect(trace.dropped).toEqual(expect.arrayContaining(PLANTED));
    expect(trace.kept).toBeGreaterThanOrEqual(5);
    expect(trace.greedyAccuracy).toBeGreaterThanOrEqual(trace.accuracy - 0.03);
    // The training curve: reward goes up as the agent learns.
    const first = trace.updates.slice(0, 3).reduce((a, u) => a + u.reward, 0) / 3;
    const last = trace.updates.slice(-3).reduce((a, u) => a + u.reward, 0) / 3;
    expect(last).toBeGreaterThan(first);
    expect(weightsOf(model)).toEqual(before);
    small.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('a larger b prunes at least as much; the same seed repeats the run exactly', async () => {
    const tight = await learnToPrune(model, d(), { ...base, b: 0.03 });
    const loose = await learnToPrune(model, d(), { ...base, b: 0.1 });
    const again = await learnToPrune(model, d(), { ...base, b: 0.1 });
    const kept = (r: typeof tight) => r.report.toJSON().agent![0].kept;
    expect(kept(loose)).toBeLessThanOrEqual(kept(tight));
    expect(kept(loose)).toBeLessThan(12 - PLANTED.length);
    expect(again.report.toJSON().agent).toEqual(loose.report.toJSON().agent!.map((t) => ({ ...t, seconds: expect.any(Number) })));
    expect(weightsOf(again.model)).toEqual(weightsOf(loose.model));
    [tight, loose, again].forEach((r) => r.model.dispose());
  });

  test('the agent as a criterion inside pruneIteratively, so stopping policies apply', async () => {
    const tensors = tf.memory().numTensors;
    const { model: small, report } = await pruneIteratively(model, d(), {
      criterion: agentCriterion({ b: 0.03, seed: 3 }),
      compile: base.compile,
      schedule: { channelsPerStep: 4 },
      fineTune: { steps: 0 },
      stop: maxSteps(1),
    });
    // The 4 channels removed first are the planted dead ones (lowest keep probability).
    const json = report.toJSON();
    expect(json.steps[0].removedPerGroup.h).toBe(4);
    expect(json.steps[0].metricsBeforeFineTune.accuracy).toBeCloseTo(json.baseline.metrics.accuracy, 6);
    small.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('refuses bad options before any work', async () => {
    const tensors = tf.memory().numTensors;
    await expectPruneErrorAsync(() => learnToPrune(model, d(), { ...base, b: 0 }), 'INVALID_OPTION', 'b, the accuracy drop');
    await expectPruneErrorAsync(() => learnToPrune(model, d(), { ...base, agent: { samplesPerUpdate: 1 } }), 'INVALID_OPTION', 'samplesPerUpdate');
    await expectPruneErrorAsync(() => learnToPrune(model, d(), { ...base, agent: { temperature: 2 } as never }), 'INVALID_OPTION', 'unknown agent option(s) temperature');
    await expectPruneErrorAsync(() => learnToPrune(model, { train: d().train }, base), 'MISSING_DATA', 'validation');
    await expectPruneErrorAsync(() => learnToPrune(model, d(), { ...base, layers: ['out'] }), 'GROUP_NOT_PRUNABLE');
    await expectPruneErrorAsync(() => learnToPrune(model, d(), { ...base, layers: ['nope'] }), 'UNKNOWN_GROUP');
    expect(() => agentCriterion({ b: -1 })).toThrow('agentCriterion: b');
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

describe('learnToPrune with candidate fine-tuning', () => {
  test('p_hat after a few gated fine-tune steps: the weights are restored after each candidate', async () => {
    const data = task(256, 128);
    const model = plantedModel();
    zeroUnits(model, PLANTED);
    await pretrain(model, data.xTrain, data.yTrain, 10);
    zeroUnits(model, PLANTED);
    const before = weightsOf(model);
    const tensors = tf.memory().numTensors;
    const options: LearnToPruneOptions = {
      compile: { optimizer: () => tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
      b: 0.03,
      fineTune: { steps: 0 },
      agent: { samplesPerUpdate: 4, updatesPerLayer: 3, evaluationExamples: 128, candidateFineTuneSteps: 2 },
    };
    const { model: small, report } = await learnToPrune(model, { train: { x: data.xTrain, y: data.yTrain }, validation: { x: data.xVal, y: data.yVal } }, options);
    const json = report.toJSON();
    // No fine-tuning after pruning (steps: 0): the returned model is exactly the original minus the
    // dropped units, so the candidate training left no trace in the weights.
    const dropped = json.agent![0].dropped;
    const kept = Array.from({ length: 12 }, (_, i) => i).filter((i) => !dropped.includes(i));
    const [k] = small.getLayer('h').getWeights();
    const [k0] = model.getLayer('h').getWeights();
    const expected = tf.tidy(() => tf.gather(k0, kept, 1).dataSync());
    expect(Array.from(k.dataSync())).toEqual(Array.from(expected));
    expect(json.agent![0].updates).toHaveLength(3);
    expect(weightsOf(model)).toEqual(before);
    small.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
    tf.dispose(data);
  });
});
