import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../src/graph/analyze';
import type { PruningGroup } from '../../src/graph/pruning-group';
import { prune } from '../../src/surgery/prune';
import { input } from '../helpers/arange';
import { checkInvariant } from '../helpers/check-invariant';

type Sym = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;
const byId = (groups: PruningGroup[], id: string): PruningGroup => {
  const g = groups.find((x) => x.id === id);
  if (!g) throw new Error(`no group ${id} in ${groups.map((x) => x.id).join(', ')}`);
  return g;
};
const inner0 = (m: tf.LayersModel): string => m.layers.find((l) => l.getClassName() === 'Sequential')!.name;
const roles = (g: PruningGroup): string[] => g.members.map((m) => `${m.role}:${m.layer}`).sort();

describe('analyze', () => {
  test('a Sequential CNN: one group per producer, outputs never prunable', () => {
    const m = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, name: 'c1' }),
        tf.layers.batchNormalization({ name: 'bn1' }),
        tf.layers.reLU({ name: 'r1' }),
        tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }),
        tf.layers.flatten({ name: 'f' }),
        tf.layers.dense({ units: 5, activation: 'relu', name: 'd1' }),
        tf.layers.dropout({ rate: 0.5, name: 'drop' }),
        tf.layers.dense({ units: 3, name: 'out' }),
      ],
    });
    const before = tf.memory().numTensors;
    const { groups } = analyze(m);
    expect(tf.memory().numTensors).toBe(before);
    expect(groups.map((g) => [g.id, g.size, g.prunable])).toEqual([
      ['c1', 4, true],
      ['d1', 5, true],
      ['out', 3, false],
    ]);
    expect(roles(byId(groups, 'c1'))).toEqual(
      ['consumer:d1', 'passThrough:bn1', 'passThrough:f', 'passThrough:p1', 'passThrough:r1', 'producer:c1'].sort(),
    );
    expect(roles(byId(groups, 'd1'))).toEqual(['consumer:out', 'passThrough:drop', 'producer:d1']);
    expect(byId(groups, 'out').reason).toBe("it reaches the model output 'out'; model outputs are never pruned");
    expect(byId(groups, 'c1').reason).toBeUndefined();
  });

  test('a residual Add ties both branches into one group with several producers', async () => {
    const x = tf.input({ shape: [6, 6, 2] });
    const a = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'a' }), x);
    const b = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'b' }), a);
    const s = apply(tf.layers.add({ name: 'add' }), [a, b]);
    const c = apply(tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c' }), s);
    const y = apply(tf.layers.dense({ units: 1, name: 'y' }), apply(tf.layers.flatten({ name: 'f' }), c));
    const m = tf.model({ inputs: x, outputs: y });
    const { groups } = analyze(m);
    const g = byId(groups, 'a');
    expect(g.size).toBe(4);
    expect(g.prunable).toBe(true);
    // b both reads the group (consumer) and writes it (producer).
    expect(roles(g)).toEqual(['consumer:b', 'consumer:c', 'passThrough:add', 'producer:a', 'producer:b']);
    expect(groups.map((x) => x.id)).toEqual(['a', 'c', 'y']);
    await checkInvariant(m, { a: [0, 3], c: [1] }, input([2, 6, 6, 2]));
    const p = prune(m, { a: [0, 3] });
    expect(p.getLayer('a').outputShape).toEqual([null, 6, 6, 2]);
    expect(p.getLayer('b').getWeights()[0].shape).toEqual([3, 3, 2, 2]);
    p.dispose();
  });

  test('Concatenate maps each input to an offset range of the consumer rows', async () => {
    const x = tf.input({ shape: [4, 4, 1] });
    const a = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'a' }), x);
    const b = apply(tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'b' }), x);
    const cat = apply(tf.layers.concatenate({ name: 'cat' }), [a, b, a]);
    const c = apply(tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c' }), cat);
    const y = apply(tf.layers.globalAveragePooling2d({ name: 'gap' }), c);
    const m = tf.model({ inputs: x, outputs: apply(tf.layers.dense({ units: 1, name: 'y' }), y) });
    const { groups } = analyze(m);
    expect(groups.map((g) => [g.id, g.size, g.prunable])).toEqual([
      ['a', 3, true],
      ['b', 2, true],
      ['c', 2, true],
      ['y', 1, false],
    ]);
    const p = prune(m, { a: [1], b: [0] });
    // c reads [a0 a1 a2 b0 b1 a0 a1 a2]; without a1 and b0: rows 0, 2, 4, 5, 7.
    const k = m.getLayer('c').getWeights()[0];
    const expected = tf.gather(k, [0, 2, 4, 5, 7], 2);
    expect(Array.from(p.getLayer('c').getWeights()[0].dataSync())).toEqual(Array.from(expected.dataSync()));
    expected.dispose();
    p.dispose();
    await checkInvariant(m, { a: [1], b: [0] }, input([2, 4, 4, 1]));
  });

  test('Add of a concatenation with a single conv couples three producers by offset', async () => {
    const x = tf.input({ shape: [3, 3, 2] });
    const a = apply(tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'a' }), x);
    const b = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'b' }), x);
    const c = apply(tf.layers.conv2d({ filters: 5, kernelSize: 1, name: 'c' }), x);
    const s = apply(tf.layers.add({ name: 'add' }), [apply(tf.layers.concatenate({ name: 'cat' }), [a, b]), c]);
    const y = apply(tf.layers.dense({ units: 2, name: 'y' }), apply(tf.layers.flatten({ name: 'f' }), s));
    const m = tf.model({ inputs: x, outputs: y });
    const g = byId(analyze(m).groups, 'a');
    expect(g.size).toBe(5);
    expect(g.members.filter((mm) => mm.role === 'producer').map((mm) => mm.layer)).toEqual(['a', 'b', 'c']);
    // Channel 1 is a1 = c1; channel 3 is b1 = c3.
    const p = prune(m, { a: [1, 3] });
    expect(p.getLayer('a').getWeights()[1].shape).toEqual([1]);
    expect(p.getLayer('b').getWeights()[1].shape).toEqual([2]);
    expect(p.getLayer('c').getWeights()[1].shape).toEqual([3]);
    p.dispose();
    await checkInvariant(m, { a: [1, 3] }, input([2, 3, 3, 2]));
  });

  test('an Add with a model input locks the group, with the reason', () => {
    const x = tf.input({ shape: [4] });
    const d = apply(tf.layers.dense({ units: 4, name: 'd' }), x);
    const s = apply(tf.layers.add({ name: 'add' }), [x, d]);
    const m = tf.model({ inputs: x, outputs: apply(tf.layers.dense({ units: 1, name: 'y' }), s) });
    const g = byId(analyze(m).groups, 'd');
    expect(g.prunable).toBe(false);
    expect(g.reason).toContain("'add' (Add)");
  });

  describe('barriers lock the groups they touch and leave the rest prunable', () => {
    const cases: Array<[string, () => tf.layers.Layer, number[], string]> = [
      ['Reshape', () => tf.layers.reshape({ targetShape: [16, 4] }), [4, 4, 4], "(Reshape) is not supported"],
      ['Permute', () => tf.layers.permute({ dims: [2, 1, 3] }), [4, 4, 4], '(Permute) is not supported'],
      ['LayerNormalization', () => tf.layers.layerNormalization(), [4, 4, 4], '(LayerNormalization) is not supported'],
      ['Softmax over channels (axis 3)', () => tf.layers.softmax({ axis: 3 }), [4, 4, 4], 'softmax over the channel axis'],
      ['Softmax over channels (axis -1)', () => tf.layers.softmax({ axis: -1 }), [4, 4, 4], 'softmax over the channel axis'],
      ['Activation softmax', () => tf.layers.activation({ activation: 'softmax' }), [4, 4, 4], "applies 'softmax' across the channels"],
      ['Concatenate on axis 1', () => tf.layers.concatenate({ axis: 1 }), [4, 4, 4], 'concatenates on axis 1'],
      ['BatchNormalization on axis 1', () => tf.layers.batchNormalization({ axis: 1 }), [4, 4, 4], 'normalises axis 1'],
    ];
    test.each(cases)('%s', async (_name, make, shape, reason) => {
      const x = tf.input({ shape: [6, 6, 1] });
      const head = apply(tf.layers.conv2d({ filters: 3, kernelSize: 3, name: 'head' }), x);
      const c = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'c' }), head);
      const layer = make();
      const b = apply(layer, layer.getClassName() === 'Concatenate' ? [c, c] : c);
      const y = apply(tf.layers.dense({ units: 1, name: 'y' }), apply(tf.layers.flatten(), b));
      const m = tf.model({ inputs: x, outputs: y });
      expect(shape.length).toBe(3);
      const { groups } = analyze(m);
      const g = byId(groups, 'c');
      expect(g.prunable).toBe(false);
      expect(g.reason).toContain(reason);
      expect(g.reason).toContain(`'${layer.name}'`);
      expect(byId(groups, 'head').prunable).toBe(true);
      await checkInvariant(m, { head: [1] }, input([2, 6, 6, 1]));
    });

    // TF.js cannot run a softmax over a non-last axis yet, so this checks the analysis only.
    test("TF.js's default Softmax (axis 1) is not over the channels of an image: pass-through", () => {
      const m = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 3, kernelSize: 1, name: 'c' }),
          tf.layers.softmax({ name: 'sm' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 2, name: 'y' }),
        ],
      });
      const g = byId(analyze(m).groups, 'c');
      expect(g.prunable).toBe(true);
      expect(roles(g)).toContain('passThrough:sm');
    });

    test('an LSTM is a barrier for the channels it reads', () => {
      const m = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [5, 3], units: 4, name: 'd' }),
          tf.layers.lstm({ units: 2, name: 'lstm' }),
          tf.layers.dense({ units: 1, name: 'y' }),
        ],
      });
      const g = byId(analyze(m).groups, 'd');
      expect(g.prunable).toBe(false);
      expect(g.reason).toContain("'lstm' (LSTM) is not supported");
    });

    test('a channelsFirst conv is a barrier', () => {
      const m = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [3, 4, 4], units: 4, name: 'd' }),
          tf.layers.conv2d({ filters: 2, kernelSize: 1, dataFormat: 'channelsFirst', name: 'cf' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 1 }),
        ],
      });
      const g = byId(analyze(m).groups, 'd');
      expect(g.prunable).toBe(false);
      expect(g.reason).toContain("dataFormat 'channelsFirst'");
    });

    test('a custom layer is a barrier', async () => {
      class Doubler extends tf.layers.Layer {
        static className = 'TestDoubler';
        override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
          return tf.tidy(() => (Array.isArray(inputs) ? inputs[0] : inputs).mul(2));
        }
      }
      tf.serialization.registerClass(Doubler);
      const m = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [3], units: 4, name: 'd1' }),
          new Doubler({ name: 'doubler' }),
          tf.layers.dense({ units: 3, name: 'd2' }),
          tf.layers.dense({ units: 1, name: 'y' }),
        ],
      });
      const { groups } = analyze(m);
      expect(byId(groups, 'd1').reason).toContain("'doubler' (TestDoubler) is not supported");
      expect(byId(groups, 'd2').prunable).toBe(true);
      await checkInvariant(m, { d2: [0] }, input([2, 3]));
    });

    test('a producer with a softmax inside is not prunable', () => {
      const m = tf.sequential({
        layers: [tf.layers.dense({ inputShape: [3], units: 4, activation: 'softmax', name: 'sm' }), tf.layers.dense({ units: 1 })],
      });
      expect(byId(analyze(m).groups, 'sm').reason).toContain("applies 'softmax' across its units");
    });

    test('a shared layer is reported, not guessed', () => {
      const x = tf.input({ shape: [4] });
      const shared = tf.layers.dense({ units: 4, name: 'shared' });
      const d = apply(tf.layers.dense({ units: 4, name: 'd' }), x);
      const y = apply(tf.layers.dense({ units: 1, name: 'y' }), apply(shared, apply(shared, d)));
      const g = byId(analyze(tf.model({ inputs: x, outputs: y })).groups, 'd');
      expect(g.prunable).toBe(false);
      expect(g.reason).toContain("'shared' (Dense) is shared (applied 2 times)");
    });

    test('a nested model is a barrier', () => {
      const inner = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2, name: 'inner_d' })] });
      const x = tf.input({ shape: [3] });
      const d = apply(tf.layers.dense({ units: 4, name: 'd' }), x);
      const y = apply(tf.layers.dense({ units: 1, name: 'y' }), apply(inner as unknown as tf.layers.Layer, d));
      const m = tf.model({ inputs: x, outputs: y });
      const { groups } = analyze(m);
      const g = byId(groups, 'd');
      expect(g.prunable).toBe(false);
      expect(g.reason).toContain('nested model');
      // The nested model's own groups are listed too, not silently missing.
      const nested = byId(groups, `${inner0(m)}/inner_d`);
      expect(nested.prunable).toBe(false);
      expect(nested.size).toBe(2);
      expect(nested.reason).toContain('inside the nested model');
      expect(nested.members[0].layer).toBe(`${inner0(m)}/inner_d`);
      expect(() => prune(m, { [nested.id]: [0] })).toThrow(/cannot be pruned/);
    });

    test('3D convolutions and pooling', async () => {
      const m = tf.sequential({
        layers: [
          tf.layers.conv3d({ inputShape: [4, 4, 4, 1], filters: 3, kernelSize: 1, name: 'c3' }),
          tf.layers.maxPooling3d({ poolSize: 2 }),
          tf.layers.averagePooling3d({ poolSize: 1 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 2 }),
        ],
      });
      const g = byId(analyze(m).groups, 'c3');
      expect(g.prunable).toBe(true);
      expect(g.members.map((mm) => mm.className)).toEqual(['Conv3D', 'MaxPooling3D', 'AveragePooling3D', 'Flatten', 'Dense']);
      // Run the invariant only where the backend has 3D kernels.
      const canRun3d = (() => {
        try {
          tf.tidy(() => tf.maxPool3d(tf.zeros([1, 2, 2, 2, 1]) as tf.Tensor5D, 2, 1, 'valid').dataSync());
          return true;
        } catch {
          return false;
        }
      })();
      if (canRun3d) await checkInvariant(m, { c3: [1] }, input([2, 4, 4, 4, 1]));
    });
  });

  test('a Sequential built from another model\'s layers reads its own nodes, not the other model\'s', async () => {
    const first = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [3], units: 4, name: 'h' }),
        tf.layers.dense({ units: 5, name: 'h2' }),
        tf.layers.dense({ units: 2, name: 'o' }),
      ],
    });
    // h keeps its node; h2 and o are applied a second time (node 1), after a new Dropout.
    const second = tf.sequential({ layers: [first.layers[0], first.layers[1], tf.layers.dropout({ rate: 0.5, name: 'drop' }), first.layers[2]] });
    const { groups } = analyze(second);
    expect(roles(byId(groups, 'h2'))).toEqual(['consumer:o', 'passThrough:drop', 'producer:h2']);
    await checkInvariant(second, { h: [1], h2: [0, 3] }, input([2, 3]));
    first.dispose();
  });
});
