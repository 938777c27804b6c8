import * as tf from '@tensorflow/tfjs';
import { criteria } from '../../src/criteria/criteria';
import type { Criterion } from '../../src/criteria/criterion';
import { evaluateCriteria } from '../../src/criteria/evaluate-criteria';
import { normalizeScores } from '../../src/criteria/normalize-scores';
import { reduceChannelValues } from '../../src/criteria/reduce-channel-values';
import { scoreGroups } from '../../src/criteria/score-groups';
import { spearman } from '../../src/criteria/spearman';
import { PruneError } from '../../src/errors';
import { snapshotWeights } from '../helpers/check-invariant';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { dataFor, smallCnn } from './models';

describe('scoreGroups refuses bad input with a PruneError, before any work, leaking nothing', () => {
  let model: tf.Sequential;
  let x: tf.Tensor;
  let y: tf.Tensor;
  let tensors: number;
  beforeAll(() => {
    model = smallCnn();
    ({ x, y } = dataFor([6, 6, 2], 4));
  });
  beforeEach(() => {
    tensors = tf.memory().numTensors;
  });
  afterEach(() => expect(tf.memory().numTensors).toBe(tensors));
  afterAll(() => {
    model.dispose();
    tf.dispose([x, y]);
  });
  const loss = 'categoricalCrossentropy';

  test('a data criterion without data', async () => {
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor()), 'MISSING_DATA', 'gradients', 'data: { x, y }', 'criteria.l1Norm()');
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.apoz()), 'MISSING_DATA', 'activations');
  });

  test('labels missing for a criterion that needs a loss', async () => {
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor(), { data: { x }, loss }), 'MISSING_DATA', 'labels');
  });

  test('no loss and an uncompiled model', async () => {
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor(), { data: { x, y } }), 'MISSING_LOSS', 'not compiled', "loss: 'categoricalCrossentropy'");
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor(), { data: { x, y }, loss: 'hinge' }), 'INVALID_OPTION', "unknown loss 'hinge'");
  });

  test('a loss function that does not return one value per example', async () => {
    const scalar = (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.meanSquaredError(yt, yp);
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor(), { data: { x, y }, loss: scalar }), 'INVALID_OPTION', 'one loss per example');
  });

  test('data of the wrong shape', async () => {
    const wrong = tf.zeros([4, 5, 5, 2]);
    const fewer = tf.zeros([3, 3]);
    try {
      await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor(), { data: { x: wrong, y }, loss }), 'DATA_MISMATCH', '[4, 5, 5, 2]', '[batch, 6, 6, 2]');
      await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor(), { data: { x, y: fewer }, loss }), 'DATA_MISMATCH', '3 examples', 'x has 4');
      await expectPruneErrorAsync(() => scoreGroups(model, criteria.apoz(), { data: { x: [x, x] } }), 'DATA_MISMATCH', '1 input(s)');
      await expectPruneErrorAsync(() => scoreGroups(model, criteria.apoz(), { data: { images: x } as never }), 'INVALID_OPTION', 'keys images');
    } finally {
      tf.dispose([wrong, fewer]);
    }
  });

  test('a dataset with elements of the wrong form or shape', async () => {
    const bad = tf.data.array([{ x, y }]) as unknown as tf.data.Dataset<never>;
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor(), { data: bad, loss }), 'DATA_MISMATCH', '{ xs, ys }');
    const wrong = tf.zeros([2, 3, 3, 2]);
    const ds = tf.data.array([{ xs: wrong, ys: y }]);
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.taylor(), { data: ds, loss }), 'DATA_MISMATCH', '[2, 3, 3, 2]');
    wrong.dispose();
  });

  test('a criterion returning the wrong length, NaN, or nothing for a group', async () => {
    const fixed = (scores: (id: string, size: number) => ArrayLike<number> | undefined): Criterion => ({
      name: 'broken',
      needs: [],
      score: (input) => Object.fromEntries(input.groups.map((g) => [g.id, scores(g.id, g.size)])) as never,
    });
    await expectPruneErrorAsync(() => scoreGroups(model, fixed((_, n) => new Float32Array(n + 1))), 'INVALID_SCORES', "returned 5 scores for group 'c1', which has 4 channels");
    await expectPruneErrorAsync(() => scoreGroups(model, fixed((_, n) => new Float32Array(n).fill(NaN))), 'INVALID_SCORES', 'NaN for channel 0');
    await expectPruneErrorAsync(() => scoreGroups(model, fixed((id, n) => (id === 'd1' ? undefined : new Float32Array(n)))), 'INVALID_SCORES', "no scores for group 'd1'");
    await expectPruneErrorAsync(() => scoreGroups(model, { name: 'extra', needs: [], score: () => ({ c1: new Float32Array(4), d1: new Float32Array(5), out: new Float32Array(3) }) }), 'INVALID_SCORES', 'out');
  });

  test('bad criteria and options', async () => {
    await expectPruneErrorAsync(() => scoreGroups(model, {} as Criterion), 'INVALID_OPTION', 'score(input)');
    await expectPruneErrorAsync(() => scoreGroups(model, { name: 'x', needs: ['labels'], score: () => ({}) } as never), 'INVALID_OPTION', 'needs');
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.l1Norm(), { batchSize: 0 }), 'INVALID_OPTION', 'batchSize');
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.l1Norm(), { groups: ['nope'] }), 'UNKNOWN_GROUP', 'c1, d1');
    await expectPruneErrorAsync(() => scoreGroups(model, criteria.l1Norm(), { groups: ['out'] }), 'GROUP_NOT_PRUNABLE', 'model output');
    await expectPruneErrorAsync(() => scoreGroups({} as tf.LayersModel, criteria.l1Norm()), 'NOT_A_LAYERS_MODEL');
    expect(() => criteria.l1Norm({ normalize: 'l3' as never })).toThrow(PruneError);
    expect(() => criteria.l1Norm({ reduce: 'median' as never })).toThrow("reduce must be one of 'mean', 'sum', 'max', 'min'");
    expect(() => criteria.taylor({ flopsPenalty: -1 })).toThrow('flopsPenalty must be a finite number >= 0');
    expect(() => criteria.taylor({ reduce: 'max' } as never)).toThrow('unknown option(s) reduce');
    expect(() => criteria.random({ seed: 0.5 })).toThrow('seed must be an integer');
    expect(() => criteria.oracle({ mode: 'signed' as never })).toThrow("mode must be 'abs' or 'loss'");
  });
});

describe('determinism, purity and custom criteria', () => {
  let model: tf.Sequential;
  let x: tf.Tensor;
  let y: tf.Tensor;
  beforeAll(() => {
    model = smallCnn();
    ({ x, y } = dataFor([6, 6, 2], 6));
  });
  afterAll(() => {
    model.dispose();
    tf.dispose([x, y]);
  });

  test('random: same seed, same scores; another seed, other scores; a group\'s scores do not depend on the others', async () => {
    const a = await scoreGroups(model, criteria.random({ seed: 3 }));
    const b = await scoreGroups(model, criteria.random({ seed: 3 }));
    const c = await scoreGroups(model, criteria.random({ seed: 4 }));
    const only = await scoreGroups(model, criteria.random({ seed: 3 }), { groups: ['d1'] });
    expect(Array.from(a.c1)).toEqual(Array.from(b.c1));
    expect(Array.from(a.c1)).not.toEqual(Array.from(c.c1));
    expect(Array.from(only.d1)).toEqual(Array.from(a.d1));
    a.c1.forEach((v) => expect(v >= 0 && v < 1).toBe(true));
    // A changed model (as after a fine-tune step) draws afresh; restoring it gives the old draws.
    const layer = model.getLayer('c1');
    const original = layer.getWeights().map((w) => w.clone());
    const nudged = original.map((w, i) => (i === 0 ? w.add(1e-3) : w.clone()));
    layer.setWeights(nudged);
    const moved = await scoreGroups(model, criteria.random({ seed: 3 }));
    layer.setWeights(original);
    const back = await scoreGroups(model, criteria.random({ seed: 3 }));
    tf.dispose([...original, ...nudged]);
    expect(Array.from(moved.c1)).not.toEqual(Array.from(a.c1));
    expect(Array.from(moved.d1)).toEqual(Array.from(a.d1));
    expect(Array.from(back.c1)).toEqual(Array.from(a.c1));
  });

  test('data criteria repeat exactly and leave the model and the data untouched', async () => {
    const weights = snapshotWeights(model);
    const xs = Array.from(x.dataSync());
    const run = () => scoreGroups(model, criteria.taylor(), { data: { x, y }, loss: 'categoricalCrossentropy' });
    const first = await run();
    const second = await run();
    expect(Array.from(first.c1)).toEqual(Array.from(second.c1));
    expect(snapshotWeights(model)).toEqual(weights);
    expect(Array.from(x.dataSync())).toEqual(xs);
    expect(x.isDisposed).toBe(false);
  });

  test('a custom criterion combining two built-ins shares one scoring pass', async () => {
    const taylor = criteria.taylor({ normalize: 'none' });
    const apoz = criteria.apoz({ normalize: 'none' });
    const calls: string[] = [];
    const blend: Criterion = {
      name: 'taylorTimesApoz',
      needs: [...taylor.needs, ...apoz.needs],
      normalize: 'none',
      async score(input) {
        calls.push(Object.keys(input.stats ?? {}).join(','));
        const t = await taylor.score(input);
        const a = await apoz.score(input);
        return Object.fromEntries(Object.keys(t).map((id) => [id, t[id].map((v, i) => v * a[id][i])]));
      },
    };
    const opts = { data: { x, y }, loss: 'categoricalCrossentropy' };
    const before = tf.memory().numTensors;
    const got = await scoreGroups(model, blend, opts);
    expect(tf.memory().numTensors).toBe(before);
    const t = await scoreGroups(model, taylor, opts);
    const a = await scoreGroups(model, apoz, opts);
    got.d1.forEach((v, i) => expect(v).toBeCloseTo(t.d1[i] * a.d1[i], 6));
    expect(calls).toEqual(['c1,d1']);
  });

  test('a custom criterion can read producer weights and BN scales', async () => {
    const seen: Criterion = {
      name: 'peek',
      needs: [],
      normalize: 'none',
      score(input) {
        const [p] = input.producerWeights('c1');
        expect([p.layer, p.className, p.fanIn, p.kernel.length, Array.from(p.channels)]).toEqual(['c1', 'Conv2D', 18, 72, [0, 1, 2, 3]]);
        expect(p.bias && Array.from(p.bias, (v) => +v.toFixed(4))).toEqual([0.1, 0.1, 0.1, 0.1]);
        const [bn] = input.batchNormScales('c1');
        expect(bn.layer).toBe('bn1');
        expect(input.batchNormScales('d1')).toEqual([]);
        expect(input.stats).toBeNull();
        return Object.fromEntries(input.groups.map((g) => [g.id, new Float32Array(g.size).fill(1)]));
      },
    };
    const scores = await scoreGroups(model, seen);
    expect(Array.from(scores.d1)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('helpers', () => {
  test('spearman: perfect, reversed, ties by average rank, constant -> NaN', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 10);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 10);
    // Ranks a = [1, 2.5, 2.5, 4], b = [1, 2, 3, 4]: r = 4.5 / sqrt(4.5 * 5) = 0.948683.
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(0.948683, 5);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  test('reduceChannelValues handles producers that make only part of a group; normalizeScores copies', () => {
    const a = { channels: Int32Array.from([0, 1, 2]), values: Float32Array.from([1, 2, 3]) };
    const b = { channels: Int32Array.from([2]), values: Float32Array.from([7]) };
    expect(Array.from(reduceChannelValues(4, [a, b], 'mean'))).toEqual([1, 2, 5, NaN]);
    expect(Array.from(reduceChannelValues(4, [a, b], 'sum')).slice(0, 3)).toEqual([1, 2, 10]);
    const input = { g: Float32Array.from([3, 4]) };
    const out = normalizeScores(input, 'l2');
    expect(Array.from(out.g, (v) => +v.toFixed(6))).toEqual([0.6, 0.8]);
    expect(Array.from(input.g)).toEqual([3, 4]);
    expect(Array.from(normalizeScores({ g: new Float32Array(2) }, 'max').g)).toEqual([0, 0]);
  });
});

describe('evaluateCriteria', () => {
  test('the oracle against itself is 1 everywhere; Taylor and random get a row each; nothing leaks', async () => {
    const model = smallCnn();
    const { x, y } = dataFor([6, 6, 2], 6);
    const before = tf.memory().numTensors;
    const result = await evaluateCriteria(model, { x, y }, [criteria.oracle(), criteria.taylor(), criteria.random({ seed: 1 })], { loss: 'categoricalCrossentropy' });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.oracle).toBe('oracle');
    expect(result.rows.map((r) => r.criterion)).toEqual(['oracle', 'taylor', 'random']);
    const [self, taylor, random] = result.rows;
    expect(self.perLayer).toBeCloseTo(1, 10);
    expect(self.global).toBeCloseTo(1, 10);
    expect(Object.keys(taylor.layers)).toEqual(['c1', 'd1']);
    // The rows are Spearman correlations computed from the returned oracle scores.
    const scores = await scoreGroups(model, criteria.random({ seed: 1 }));
    expect(random.layers.c1).toBeCloseTo(spearman(scores.c1, result.oracleScores.c1), 10);
    for (const r of result.rows) for (const v of [r.perLayer, r.global, r.globalNormalized]) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-9);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('refuses an empty list and missing data', async () => {
    const model = smallCnn();
    await expectPruneErrorAsync(() => evaluateCriteria(model, undefined as never, [criteria.taylor()]), 'MISSING_DATA');
    await expectPruneErrorAsync(() => evaluateCriteria(model, { x: tf.zeros([1, 6, 6, 2]) }, []), 'INVALID_OPTION', 'non-empty');
    model.dispose();
  });
});
