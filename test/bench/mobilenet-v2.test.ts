import * as tf from '@tensorflow/tfjs';
import { buildMobileNetV2 } from '../../bench/models/mobilenet-v2';
import { seededRemovals } from '../../bench/helpers/seeded-removals';
import { analyze, countParams, prune, type PruningGroup } from '../../src/index';
import { expectClose } from '../helpers/expect-close';
import { zeroedReference } from '../helpers/zeroed-reference';

// alpha 1.0 keeps the channel counts of the real MobileNetV2 (and its parameter count); a 32x32
// input keeps the forward passes cheap (the spatial size goes 32 -> 16 -> 8 -> 4 -> 2 -> 1).
const ARGS = { inputSize: 32, alpha: 1.0, classes: 10, seed: 3 } as const;

let model: tf.LayersModel;

beforeAll(() => {
  model = buildMobileNetV2(ARGS);
});

afterAll(() => {
  model?.dispose();
});

const producers = (g: PruningGroup): string[] => g.members.filter((m) => m.role === 'producer').map((m) => m.layer);

describe('buildMobileNetV2', () => {
  it('has the MobileNetV2 layer structure and parameter count', () => {
    const counts: Record<string, number> = {};
    for (const l of model.layers) counts[l.getClassName()] = (counts[l.getClassName()] ?? 0) + 1;
    // Convs: stem + 16 expands + 17 projects + final 1x1 = 35; one depthwise per block (17);
    // one BN after each of those 52; ReLU6 after stem, final conv, every expand (16) and depthwise (17).
    // Stride-2 blocks 1, 3, 6, 13 get a ZeroPadding2D; residual Adds: 1 + 2 + 3 + 2 + 2 = 10.
    expect(counts).toEqual({
      InputLayer: 1,
      Conv2D: 35,
      DepthwiseConv2D: 17,
      BatchNormalization: 52,
      ReLU: 35,
      ZeroPadding2D: 4,
      Add: 10,
      GlobalAveragePooling2D: 1,
      Dense: 1,
    });
    expect(model.layers.length).toBe(156);
    // Keras MobileNetV2(alpha=1, include_top=False) has 2,257,984 parameters; head 1280*10 + 10.
    expect(countParams(model).total).toBe(2_257_984 + 12_810);
    expect(model.outputs[0].shape).toEqual([null, 10]);
  });

  it('is deterministic for a seed and gives finite, non-degenerate softmax outputs', () => {
    const start = tf.memory().numTensors;
    const again = buildMobileNetV2(ARGS);
    expect(tf.memory().numTensors - start).toBe(again.weights.length); // only its own variables
    const x = tf.randomNormal([3, 32, 32, 3], 0, 1, 'float32', 11);
    const [a, b] = [model.predict(x) as tf.Tensor, again.predict(x) as tf.Tensor];
    expectClose(b, a, 1e-5);
    const values = a.arraySync() as number[][];
    for (const row of values) {
      expect(row.every(Number.isFinite)).toBe(true);
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      expect(Math.max(...row)).toBeLessThan(0.99); // not a saturated one-hot
    }
    tf.dispose([x, a, b]);
    again.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('rejects bad arguments', () => {
    expect(() => buildMobileNetV2({ inputSize: 0 })).toThrow(/inputSize/);
    expect(() => buildMobileNetV2({ alpha: -1 })).toThrow(/alpha/);
  });
});

describe('analyze / prune on MobileNetV2', () => {
  it('finds every block group, with the residual stages as Add-coupled multi-producer groups', () => {
    const { groups } = analyze(model);
    expect(groups).toHaveLength(26);
    const locked = groups.filter((g) => !g.prunable);
    expect(locked.map((g) => g.id)).toEqual(['predictions']);

    const residual = groups.filter((g) => g.prunable && producers(g).length > 1);
    expect(residual.map((g) => [g.id, g.size, producers(g)])).toEqual([
      ['block_1_project', 24, ['block_1_project', 'block_2_project']],
      ['block_3_project', 32, ['block_3_project', 'block_4_project', 'block_5_project']],
      ['block_6_project', 64, ['block_6_project', 'block_7_project', 'block_8_project', 'block_9_project']],
      ['block_10_project', 96, ['block_10_project', 'block_11_project', 'block_12_project']],
      ['block_13_project', 160, ['block_13_project', 'block_14_project', 'block_15_project']],
    ]);
    const stage = groups.find((g) => g.id === 'block_3_project') as PruningGroup;
    const roleOf = (layer: string): string[] => stage.members.filter((m) => m.layer === layer).map((m) => m.role);
    expect(roleOf('block_4_add')).toEqual(['passThrough']);
    expect(roleOf('block_5_add')).toEqual(['passThrough']);
    expect(roleOf('block_4_project_BN')).toEqual(['passThrough']);
    expect(roleOf('block_6_expand')).toEqual(['consumer']); // the next stage reads the sum

    // A stride-2 expand group runs through the padding and the depthwise conv to the projection.
    const expand = groups.find((g) => g.id === 'block_6_expand') as PruningGroup;
    expect(expand.size).toBe(192);
    expect(expand.members.map((m) => `${m.layer}:${m.role}`)).toEqual([
      'block_6_expand:producer',
      'block_6_expand_BN:passThrough',
      'block_6_expand_relu:passThrough',
      'block_6_pad:passThrough',
      'block_6_depthwise:passThrough',
      'block_6_depthwise_BN:passThrough',
      'block_6_depthwise_relu:passThrough',
      'block_6_project:consumer',
    ]);
  });

  it('prunes 30% of every prunable group: right shapes, zeroed-consumer invariant, no leak', async () => {
    const analysis = analyze(model);
    const removals = seededRemovals(analysis, { fraction: 0.3, seed: 5 });
    expect(Object.keys(removals)).toHaveLength(25);
    expect(removals.block_6_project).toHaveLength(19); // round(0.3 * 64)
    expect(removals.Conv_1).toHaveLength(384); // round(0.3 * 1280)
    for (const indices of Object.values(removals)) expect([...new Set(indices)].sort((a, b) => a - b)).toEqual(indices);
    expect(seededRemovals(analysis, { fraction: 0.3, seed: 5 })).toEqual(removals);
    expect(seededRemovals(analysis, { fraction: 0.3, seed: 6 })).not.toEqual(removals);

    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 13);
    const reference = await zeroedReference(model, removals);
    const expected = reference.predict(x) as tf.Tensor;
    reference.dispose();

    const baseline = tf.memory().numTensors;
    const pruned = prune(model, removals);
    // 64 - 19 = 45 channels leave every producer of the block_6 stage and enter block_10_expand.
    for (const name of ['block_7_project', 'block_8_project', 'block_9_project']) {
      expect(pruned.getLayer(name).getWeights()[0].shape).toEqual([1, 1, 269, 45]); // 384 - 115 inputs
    }
    expect(pruned.getLayer('block_6_project').getWeights()[0].shape).toEqual([1, 1, 134, 45]); // 192 - 58
    expect(pruned.getLayer('block_10_expand').getWeights()[0].shape).toEqual([1, 1, 45, 269]);
    expect(pruned.getLayer('Conv_1').getWeights()[0].shape).toEqual([1, 1, 224, 896]); // 320 - 96, 1280 - 384

    const y = pruned.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 10]);
    expectClose(y, expected, 1e-4);
    const after = analyze(pruned).groups.filter((g) => g.prunable);
    expect(after.map((g) => g.size)).toEqual(
      analysis.groups.filter((g) => g.prunable).map((g) => g.size - removals[g.id].length),
    );

    tf.dispose([y]);
    pruned.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
    tf.dispose([x, expected]);
  });
});
