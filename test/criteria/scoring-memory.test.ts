import * as tf from '@tensorflow/tfjs';
import { criteria } from '../../src/criteria/criteria';
import { scoreGroups } from '../../src/criteria/score-groups';
import { activationBytesPerExample, defaultScoringBatchSize } from '../../src/criteria/scoring-batch-size';
import { distill } from '../../src/finetune/fine-tune-options';
import { pruneIteratively } from '../../src/prune-iteratively';
import { createPruner } from '../../src/pruner';
import { maxSteps } from '../../src/stopping/max-steps';
import { isOutOfMemory } from '../../src/util/out-of-memory';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { images, srStandIn } from '../loop/stand-in-models';

/** Identity that fails like the wasm backend out of memory when a batch holds more than `limit` examples. */
class TestOomAbove extends tf.layers.Layer {
  static className = 'TestOomAbove';
  readonly limit: number;
  readonly seen: number[] = [];
  constructor(args: tf.serialization.ConfigDict & { limit: number; name?: string }) {
    super(args);
    this.limit = args.limit;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    this.seen.push(x.shape[0]);
    if (x.shape[0] > this.limit) throw new WebAssembly.RuntimeError('memory access out of bounds');
    return tf.relu(x);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), limit: this.limit };
  }
}
tf.serialization.registerClass(TestOomAbove);

function oomModel(limit: number): { model: tf.LayersModel; guard: TestOomAbove } {
  const input = tf.input({ shape: [6, 6, 3] });
  const guard = new TestOomAbove({ limit, name: 'guard' });
  let h = guard.apply(input) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'c1', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'c2', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
  return { model: tf.model({ inputs: input, outputs: h }), guard };
}

describe('scoring memory: batch size from the activation size, out-of-memory as a PruneError', () => {
  test('defaultScoringBatchSize: as many examples as fit in 1 GiB (3x the activations with gradients), at most 32', () => {
    const model = srStandIn();
    const tensors = tf.memory().numTensors;
    // At 256x256: c1, bn1, relu1 256*256*8 each; c2 256*256*4; up 512*512*4; c3 512*512*3.
    const elements = 3 * 256 * 256 * 8 + 256 * 256 * 4 + 512 * 512 * 4 + 512 * 512 * 3; // 3670016
    expect(activationBytesPerExample(model, [[256, 256, 3]])).toBe(4 * elements);
    expect(defaultScoringBatchSize(model, [[256, 256, 3]], true)).toBe(Math.floor(1024 ** 3 / (3 * 4 * elements))); // 24
    expect(defaultScoringBatchSize(model, [[256, 256, 3]], true)).toBe(24);
    expect(defaultScoringBatchSize(model, [[256, 256, 3]], false)).toBe(32); // 73 would fit
    expect(defaultScoringBatchSize(model, [[1024, 1024, 3]], true)).toBe(1); // 16x the pixels: 1.5 fit
    expect(defaultScoringBatchSize(model, [[2048, 2048, 3]], true)).toBe(1); // none fits: still 1
    // Unknown sizes (no example shape for a dynamic model): the plain default.
    expect(activationBytesPerExample(model, null)).toBeNull();
    expect(defaultScoringBatchSize(model, null, true)).toBe(32);
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  });

  test('isOutOfMemory knows the backends\' errors and nothing else', () => {
    expect(isOutOfMemory(new WebAssembly.RuntimeError('memory access out of bounds'))).toBe(true);
    expect(isOutOfMemory(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(isOutOfMemory(new RangeError('Invalid typed array length: 4294967296'))).toBe(true);
    expect(isOutOfMemory(new Error('Aborted(OOM)'))).toBe(true);
    expect(isOutOfMemory(new TypeError("Cannot read properties of undefined (reading 'dtype')"))).toBe(false);
    expect(isOutOfMemory(new Error('room for improvement'))).toBe(false);
  });

  test('scoreGroups and createPruner turn an out-of-memory into OUT_OF_MEMORY saying what to lower', async () => {
    const { model, guard } = oomModel(8);
    const x = images(16, 6, 6);
    const yAll = tf.randomNormal([16, 6, 6, 3], 0, 1, 'float32', 5);
    const tensors = tf.memory().numTensors;
    await expectPruneErrorAsync(
      () => scoreGroups(model, criteria.activationStd(), { data: { x } }),
      'OUT_OF_MEMORY',
      'scoreGroups: scoring a batch of 16 examples ran out of memory',
      `'${tf.getBackend()}' backend`,
      'RuntimeError: memory access out of bounds',
      'Lower the scoring batch size (batchSize here, scoringBatchSize of pruneIteratively; e.g. 4)',
    );
    expect(tf.memory().numTensors).toBe(tensors);
    await expectPruneErrorAsync(() => createPruner(model, { criterion: criteria.taylor(), data: { x, y: yAll }, loss: 'meanSquaredError' }).step(), 'OUT_OF_MEMORY', 'scoring a batch of 16 examples');
    // (Not checked for leaks: TF.js keeps a failed gradient pass's tape tensors, 2 here; see scoring-run.ts.)
    guard.seen.length = 0;
    const scores = await scoreGroups(model, criteria.activationStd(), { data: { x }, batchSize: 8 });
    expect(Object.keys(scores)).toEqual(['c1']);
    expect(Math.max(...guard.seen)).toBeLessThanOrEqual(8);
    tf.dispose([x, yAll]);
    model.dispose();
  });

  test('pruneIteratively: scoringBatchSize bounds the scoring batches; out-of-memory in scoring or fine-tuning is a PruneError', async () => {
    const { model } = oomModel(8);
    const x = images(16, 6, 6);
    const base = { compile: { optimizer: () => tf.train.sgd(1e-3), loss: 'meanSquaredError' as const }, criterion: criteria.activationStd(), stop: maxSteps(1) };
    await expectPruneErrorAsync(
      () => pruneIteratively(model, { train: { x } }, { ...base, fineTune: distill({ steps: 0, batchSize: 8 }) }),
      'OUT_OF_MEMORY',
      'scoring a batch of 16 examples',
      'scoringBatchSize',
    );
    const ok = await pruneIteratively(model, { train: { x } }, { ...base, fineTune: distill({ steps: 1, batchSize: 8 }), scoringBatchSize: 8 });
    expect(ok.report.toJSON().steps).toHaveLength(1);
    ok.model.dispose();
    await expectPruneErrorAsync(
      () => pruneIteratively(model, { train: { x } }, { ...base, fineTune: distill({ steps: 1, batchSize: 16 }), scoringBatchSize: 8 }),
      'OUT_OF_MEMORY',
      'fine-tuning: training on a minibatch of 16 examples ran out of memory',
      'Lower fineTune.batchSize (e.g. 4)',
    );
    await expectPruneErrorAsync(() => pruneIteratively(model, { train: { x } }, { ...base, scoringBatchSize: 0 }), 'INVALID_OPTION', 'scoringBatchSize must be a positive integer');
    tf.dispose(x);
    model.dispose();
  });
});
