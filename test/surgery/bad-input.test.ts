import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../src/graph/analyze';
import { prune } from '../../src/surgery/prune';
import { snapshotWeights } from '../helpers/check-invariant';
import { expectPruneError } from '../helpers/expect-prune-error';

function model(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [5, 5, 1], filters: 3, kernelSize: 3, name: 'c1' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4, name: 'd1' }),
      tf.layers.dense({ units: 2, activation: 'softmax', name: 'out' }),
    ],
  });
}


describe('prune refuses bad plans with a PruneError and changes nothing', () => {
  let m: tf.Sequential;
  let before: Float32Array[];
  let tensors = 0;
  beforeAll(() => {
    m = model();
    before = snapshotWeights(m);
  });
  beforeEach(() => {
    tensors = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(tensors);
    snapshotWeights(m).forEach((w, i) => expect(w).toEqual(before[i]));
  });

  test('unknown group id: lists the prunable ones', () => {
    expectPruneError(() => prune(m, { conv: [0] }), 'UNKNOWN_GROUP', "'conv'", 'c1, d1', 'analyze(model)');
  });
  test('index out of range, negative or not an integer', () => {
    expectPruneError(() => prune(m, { c1: [3] }), 'INDEX_OUT_OF_RANGE', 'has 3 channels', '[0, 2]');
    expectPruneError(() => prune(m, { c1: [-1] }), 'INDEX_OUT_OF_RANGE');
    expectPruneError(() => prune(m, { c1: [0.5] }), 'INDEX_OUT_OF_RANGE');
    expectPruneError(() => prune(m, { c1: [NaN] }), 'INDEX_OUT_OF_RANGE');
  });
  test('typed arrays are accepted', () => {
    const p = prune(m, { d1: Int32Array.from([1, 3]) });
    expect(p.getLayer('d1').getWeights()[1].shape).toEqual([2]);
    p.dispose();
  });
  test('duplicated index', () => {
    expectPruneError(() => prune(m, { d1: [1, 2, 1] }), 'DUPLICATE_INDEX', 'channel 1 more than once');
  });
  test('removing every channel of a group', () => {
    expectPruneError(() => prune(m, { c1: [2, 0, 1] }), 'REMOVES_ALL_CHANNELS', 'all 3 channels', 'at least one');
  });
  test('a group that is not prunable (the model output)', () => {
    expectPruneError(() => prune(m, { out: [0] }), 'GROUP_NOT_PRUNABLE', "'out'", 'model output');
  });
  test('an empty list for a non-prunable group is a no-op, not an error', () => {
    const p = prune(m, { out: [] });
    expect(p.countParams()).toBe(m.countParams());
    p.dispose();
  });
  test('removals that are not an object of arrays', () => {
    expectPruneError(() => prune(m, null as never), 'INVALID_OPTION');
    expectPruneError(() => prune(m, [[0]] as never), 'INVALID_OPTION', 'an array');
    expectPruneError(() => prune(m, { c1: 0 } as never), 'INVALID_OPTION', "removals['c1']");
  });
  test('the first bad entry stops everything: a valid entry before it is not applied', () => {
    expectPruneError(() => prune(m, { c1: [0], d1: [9] }), 'INDEX_OUT_OF_RANGE');
  });
});

describe('analyze and prune refuse what is not a built LayersModel', () => {
  test('not a LayersModel', () => {
    expectPruneError(() => analyze({} as never), 'NOT_A_LAYERS_MODEL', 'tf.LayersModel');
    expectPruneError(() => prune(null as never, {}), 'NOT_A_LAYERS_MODEL', 'null');
    const graphModelLike = { executeAsync: () => undefined, predict: () => undefined };
    expectPruneError(() => analyze(graphModelLike as never), 'NOT_A_LAYERS_MODEL', 'a tf.GraphModel', 'tf.loadLayersModel');
  });
  test('an unbuilt model (no input shape yet)', () => {
    expectPruneError(() => analyze(tf.sequential()), 'MODEL_NOT_BUILT', 'inputShape');
    expectPruneError(() => prune(tf.sequential(), {}), 'MODEL_NOT_BUILT');
  });
  test('a custom layer that is not registered cannot be rebuilt, and says how to fix it', () => {
    class Unregistered extends tf.layers.Layer {
      static className = 'UnregisteredTestLayer';
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return Array.isArray(inputs) ? inputs[0] : inputs;
      }
    }
    const m = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [3], units: 4, name: 'a' }), tf.layers.dense({ units: 3, name: 'b' }), new Unregistered({}), tf.layers.dense({ units: 1 })],
    });
    expect(analyze(m).groups.find((g) => g.id === 'a')?.prunable).toBe(true);
    const tensors = tf.memory().numTensors;
    expectPruneError(() => prune(m, { a: [0] }), 'UNREGISTERED_LAYER', 'UnregisteredTestLayer', 'tf.serialization.registerClass');
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

describe('a plan that would empty one producer of a wider group', () => {
  test('is refused with REMOVES_ALL_CHANNELS naming the layer', () => {
    // add(concat(a [1 ch], b [1 ch]), c [2 ch]): group a = {a, b, c}, 2 channels; channel 0 is all of a.
    const x = tf.input({ shape: [3, 3, 1] });
    const a = tf.layers.conv2d({ filters: 1, kernelSize: 1, name: 'a' }).apply(x) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ filters: 1, kernelSize: 1, name: 'b' }).apply(x) as tf.SymbolicTensor;
    const c = tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c' }).apply(x) as tf.SymbolicTensor;
    const cat = tf.layers.concatenate({ name: 'cat' }).apply([a, b]) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'add' }).apply([cat, c]) as tf.SymbolicTensor;
    const y = tf.layers.dense({ units: 1, name: 'y' }).apply(tf.layers.flatten().apply(sum) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: y });
    expect(analyze(m).groups.find((g) => g.id === 'a')?.size).toBe(2);
    expectPruneError(() => prune(m, { a: [0] }), 'REMOVES_ALL_CHANNELS', "layer 'a' (Conv2D)", "group 'a'");
    m.dispose();
  });
});
