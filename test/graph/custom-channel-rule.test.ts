import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../src/graph/analyze';
import type { PruningGroup } from '../../src/graph/pruning-group';
import { prune } from '../../src/surgery/prune';
import { TestChannelScale, TestDeclared, TestProjection } from '../helpers/custom-layers';
import { expectPruneError } from '../helpers/expect-prune-error';

type Sym = tf.SymbolicTensor;
const byId = (groups: PruningGroup[], id: string): PruningGroup => {
  const g = groups.find((x) => x.id === id);
  if (!g) throw new Error(`no group ${id} in ${groups.map((x) => x.id).join(', ')}`);
  return g;
};
const roles = (g: PruningGroup): string[] => g.members.map((m) => `${m.role}:${m.layer}`).sort();

/** Dense d1 (4) -> layer -> Dense d2 (3) -> Dense y (1). */
const denseAround = (layer: tf.layers.Layer): tf.Sequential =>
  tf.sequential({
    layers: [tf.layers.dense({ inputShape: [3], units: 4, name: 'd1' }), layer, tf.layers.dense({ units: 3, name: 'd2' }), tf.layers.dense({ units: 1, name: 'y' })],
  });

describe('custom layers declaring a channel rule (PrunableLayer)', () => {
  test('an elementwise layer with a per-channel weight carries a Conv2D group to the next Conv2D', () => {
    const m = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [5, 5, 2], filters: 4, kernelSize: 3, padding: 'same', name: 'c1' }),
        new TestChannelScale({ name: 'scale' }),
        tf.layers.conv2d({ filters: 3, kernelSize: 3, name: 'c2' }),
        tf.layers.globalAveragePooling2d({ name: 'gap' }),
        tf.layers.dense({ units: 2, name: 'y' }),
      ],
    });
    const g = byId(analyze(m).groups, 'c1');
    expect(g).toMatchObject({ size: 4, prunable: true });
    expect(roles(g)).toEqual(['consumer:c2', 'passThrough:scale', 'producer:c1']);
    m.dispose();
  });

  test('an elementwise layer between Dense layers, with a channel-independent weight', () => {
    const m = denseAround(new TestChannelScale({ name: 'scale', withOffset: true }));
    const g = byId(analyze(m).groups, 'd1');
    expect(g.prunable).toBe(true);
    expect(roles(g)).toEqual(['consumer:d2', 'passThrough:scale', 'producer:d1']);
    m.dispose();
  });

  test('a custom producer starts its own group and consumes the previous one', () => {
    const x = tf.input({ shape: [4, 4, 3] });
    const c1 = tf.layers.conv2d({ filters: 5, kernelSize: 1, name: 'c1' }).apply(x) as Sym;
    const p = new TestProjection({ units: 6, name: 'proj' }).apply(c1) as Sym;
    const s = new TestChannelScale({ name: 'scale' }).apply(p) as Sym;
    const y = tf.layers.dense({ units: 2, name: 'y' }).apply(tf.layers.flatten({ name: 'flat' }).apply(s) as Sym) as Sym;
    const m = tf.model({ inputs: x, outputs: y });
    const { groups } = analyze(m);
    expect(roles(byId(groups, 'c1'))).toEqual(['consumer:proj', 'producer:c1']);
    expect(byId(groups, 'proj')).toMatchObject({ size: 6, prunable: true });
    expect(roles(byId(groups, 'proj'))).toEqual(['consumer:y', 'passThrough:flat', 'passThrough:scale', 'producer:proj']);
    m.dispose();
  });

  test('a producer that does not consume its input locks the input channels, with a reason', () => {
    const layer = new TestDeclared(() => ({ type: 'producer', sizeField: 'size', consumesInput: false, weights: { w: {} } }), { name: 'cust' });
    const m = denseAround(layer);
    const { groups } = analyze(m);
    expect(byId(groups, 'd1').prunable).toBe(false);
    expect(byId(groups, 'd1').reason).toContain("'cust' (TestDeclared) declares that it does not consume its input channels");
    expect(byId(groups, 'cust')).toMatchObject({ size: 4, prunable: true });
    m.dispose();
  });

  test('a declared barrier locks what it touches with the given reason', () => {
    const m = denseAround(new TestDeclared(() => ({ type: 'barrier', reason: 'it sorts the channels' }), { name: 'cust' }));
    const { groups } = analyze(m);
    expect(byId(groups, 'd1').reason).toBe("layer 'cust' (TestDeclared) is a barrier: it sorts the channels");
    expect(byId(groups, 'd2').prunable).toBe(true);
    m.dispose();
  });

  test('a custom layer without the interface stays a barrier with the same reason as before', () => {
    class TestPlainLayer extends tf.layers.Layer {
      static className = 'TestPlainLayer';
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.tidy(() => (Array.isArray(inputs) ? inputs[0] : inputs).mul(2));
      }
    }
    tf.serialization.registerClass(TestPlainLayer);
    const m = denseAround(new TestPlainLayer({ name: 'plain' }));
    expect(byId(analyze(m).groups, 'd1').reason).toBe(
      "layer 'plain' (TestPlainLayer) is not supported by tfjs-prune, so the channels it reads cannot be removed",
    );
    m.dispose();
  });

  describe('invalid declarations throw INVALID_LAYER_RULE, from analyze and prune alike', () => {
    const cases: Array<[string, () => unknown, string[]]> = [
      ['not an object', () => 'elementwise', ['channelRule() returned "elementwise"', "'elementwise', 'producer' or 'barrier'"]],
      ['an unknown type', () => ({ type: 'passThrough' }), ['"type":"passThrough"']],
      ['an unknown key (a typo)', () => ({ type: 'elementwise', weight: { w: -1 } }), ["unknown key 'weight'", "'type', 'weights'"]],
      ['a barrier without a reason', () => ({ type: 'barrier', reason: '' }), ['a barrier rule without a reason']],
      ['a weight it does not have', () => ({ type: 'elementwise', weights: { w: -1, scale: 0 } }), ["names 'scale', which the layer does not have (its weights: w)"]],
      ['a weight left out', () => ({ type: 'elementwise' }), ["does not say how to cut 'w'", 'List every weight']],
      ['an axis out of range', () => ({ type: 'elementwise', weights: { w: 1 } }), ['the channel axis of weight', 'is 1', 'in [-1, 0]']],
      ['an axis that is not a number', () => ({ type: 'elementwise', weights: { w: 'last' } }), ['is "last"']],
      ['a producer without sizeField', () => ({ type: 'producer', weights: { w: {} } }), ["'sizeField' is missing"]],
      ['a producer whose sizeField is not the output width', () => ({ type: 'producer', sizeField: 'units', weights: { w: {} } }), ['getConfig().units is missing', 'output has 4 channels']],
      ['a producer axis of the wrong size', () => ({ type: 'producer', sizeField: 'size', weights: { w: { input: 0, output: 0 } } }), ['both input and output']],
      ['producer axes not an object', () => ({ type: 'producer', sizeField: 'size', weights: { w: 0 } }), ["the axes of weight 'w' are 0", '{ input?: axis, output?: axis }']],
      ['an input axis with consumesInput false', () => ({ type: 'producer', sizeField: 'size', consumesInput: false, weights: { w: { input: 0 } } }), ['consumesInput is false']],
      ['a rule that throws', () => { throw new Error('boom'); }, ['its channelRule() threw: boom']],
    ];
    test.each(cases)('%s', (_, rule, fragments) => {
      const m = denseAround(new TestDeclared(rule, { name: 'cust' }));
      expectPruneError(() => analyze(m), 'INVALID_LAYER_RULE', "Layer 'cust' (TestDeclared)", 'docs/guides/custom-layers.md', ...fragments);
      expectPruneError(() => prune(m, { d2: [0] }), 'INVALID_LAYER_RULE');
      m.dispose();
    });

    test('a weight axis whose size is not the channel count', () => {
      // 'cust' maps 4 channels to 8; its weight w has 4 entries, one per input channel.
      const m = denseAround(new TestDeclared(() => ({ type: 'producer', sizeField: 'size', weights: { w: { output: 0 } } }), { name: 'cust', widen: 2 }));
      expectPruneError(() => analyze(m), 'INVALID_LAYER_RULE', "weight 'w' has 4 entries on its output axis 0 (shape [4]) but the layer has 8 output channels");
      m.dispose();
      const ok = denseAround(new TestDeclared(() => ({ type: 'producer', sizeField: 'size', weights: { w: { input: -1 } } }), { name: 'cust', widen: 2 }));
      expect(byId(analyze(ok).groups, 'cust')).toMatchObject({ size: 8, prunable: true });
      ok.dispose();
    });

    test('an elementwise layer that changes the channel count', () => {
      const m = denseAround(new TestDeclared(() => ({ type: 'elementwise', weights: { w: -1 } }), { name: 'cust', widen: 2 }));
      expectPruneError(() => analyze(m), 'INVALID_LAYER_RULE', 'maps 4 input channels to 8 output channels', "Declare it a 'producer'");
      m.dispose();
    });
  });
});
