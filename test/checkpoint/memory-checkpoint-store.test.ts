import * as tf from '@tensorflow/tfjs';
import type { Checkpoint } from '../../src/checkpoint/checkpoint-store';
import { memoryCheckpointStore } from '../../src/checkpoint/memory-checkpoint-store';
import { modelFromArtifacts, modelToArtifacts } from '../../src/checkpoint/model-artifacts';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { comparable } from './comparable';
import { convBnDenseModel, predictionOf, separableModel } from './models';

let model: tf.LayersModel;
let best: tf.LayersModel;
beforeAll(() => {
  model = convBnDenseModel();
  best = separableModel();
});
afterAll(() => {
  model.dispose();
  best.dispose();
});

async function checkpoint(step: number, withBest = true): Promise<Checkpoint> {
  return {
    version: 1,
    step,
    model: await modelToArtifacts(model),
    ...(withBest ? { best: await modelToArtifacts(best) } : {}),
    state: { step, history: [{ step, accuracy: 0.9 }], seed: 7, note: null },
  };
}

describe('memoryCheckpointStore', () => {
  it('returns null before the first save and after clear()', async () => {
    const store = memoryCheckpointStore();
    expect(await store.load()).toBeNull();
    await store.save(await checkpoint(1));
    expect(await store.load()).not.toBeNull();
    await store.clear();
    expect(await store.load()).toBeNull();
  });

  it('gives back equal data, and models that predict exactly like the saved ones', async () => {
    const store = memoryCheckpointStore();
    const saved = await checkpoint(3);
    await store.save(saved);
    const loaded = (await store.load()) as Checkpoint;
    expect(comparable(loaded)).toEqual(comparable(saved));
    const before = tf.memory().numTensors;
    const current = await modelFromArtifacts(loaded.model);
    const last = await modelFromArtifacts(loaded.best as tf.io.ModelArtifacts);
    expect(predictionOf(current)).toEqual(predictionOf(model));
    expect(predictionOf(last)).toEqual(predictionOf(best));
    current.dispose();
    last.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps a copy: changing what was saved, or what was loaded, does not change the store', async () => {
    const store = memoryCheckpointStore();
    const saved = await checkpoint(2);
    const pristine = await checkpoint(2);
    await store.save(saved);

    new Uint8Array(saved.model.weightData as ArrayBuffer).fill(0);
    new Uint8Array(saved.best!.weightData as ArrayBuffer).fill(0);
    (saved.state as { history: unknown[] }).history.push('later');
    (saved.model.modelTopology as { config: { name: string } }).config.name = 'changed';
    saved.model.weightSpecs![0].name = 'changed';
    saved.step = 99;
    expect(comparable(await store.load())).toEqual(comparable(pristine));

    const first = (await store.load()) as Checkpoint;
    new Uint8Array(first.model.weightData as ArrayBuffer).fill(1);
    (first.state as { seed: number }).seed = 0;
    const second = (await store.load()) as Checkpoint;
    expect(comparable(second)).toEqual(comparable(pristine));
    expect(second.model.weightData).not.toBe(first.model.weightData);
  });

  it('a second save replaces the first; best may be absent', async () => {
    const store = memoryCheckpointStore();
    await store.save(await checkpoint(1));
    await store.save(await checkpoint(2, false));
    const loaded = (await store.load()) as Checkpoint;
    expect(loaded.step).toBe(2);
    expect(loaded.best).toBeUndefined();
    expect('best' in loaded).toBe(false);
  });

  it('stores sharded weight data as one buffer with the same bytes', async () => {
    const store = memoryCheckpointStore();
    const cp = await checkpoint(1, false);
    const data = cp.model.weightData as ArrayBuffer;
    await store.save({ ...cp, model: { ...cp.model, weightData: [data.slice(0, 64), data.slice(64)] } });
    const loaded = (await store.load()) as Checkpoint;
    expect(new Uint8Array(loaded.model.weightData as ArrayBuffer)).toEqual(new Uint8Array(data));
  });

  it('refuses malformed checkpoints with CHECKPOINT_INVALID and keeps the previous one', async () => {
    const store = memoryCheckpointStore();
    const good = await checkpoint(1);
    await store.save(good);
    const bad = (patch: Record<string, unknown>) => ({ ...good, ...patch }) as unknown as Checkpoint;
    await expectPruneErrorAsync(() => store.save(bad({ version: 2 })), 'CHECKPOINT_INVALID', 'checkpoint.version is 2');
    await expectPruneErrorAsync(() => store.save(bad({ step: -1 })), 'CHECKPOINT_INVALID', 'checkpoint.step');
    await expectPruneErrorAsync(() => store.save(bad({ step: 1.5 })), 'CHECKPOINT_INVALID', 'checkpoint.step');
    await expectPruneErrorAsync(() => store.save(bad({ state: { best: { loss: NaN } } })), 'CHECKPOINT_INVALID', 'checkpoint.state.best.loss is NaN');
    await expectPruneErrorAsync(() => store.save(bad({ state: { at: new Date(0) } })), 'CHECKPOINT_INVALID', 'checkpoint.state.at is a Date');
    await expectPruneErrorAsync(() => store.save(bad({ state: [1, undefined] })), 'CHECKPOINT_INVALID', 'checkpoint.state[1] is undefined');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expectPruneErrorAsync(() => store.save(bad({ state: cyclic })), 'CHECKPOINT_INVALID', 'checkpoint.state.self', 'cycle');
    await expectPruneErrorAsync(() => store.save(bad({ model: { ...good.model, weightData: undefined } })), 'CHECKPOINT_INVALID', 'checkpoint.model.weightData is missing');
    await expectPruneErrorAsync(
      () => store.save(bad({ best: { ...good.best, weightData: new ArrayBuffer(4) } })),
      'CHECKPOINT_INVALID',
      'checkpoint.best.weightData has 4 bytes',
    );
    expect(comparable(await store.load())).toEqual(comparable(good));
  });

  it('accepts state that is undefined, or has undefined object properties (JSON drops them)', async () => {
    const store = memoryCheckpointStore();
    await store.save({ ...(await checkpoint(1, false)), state: undefined });
    expect((await store.load())!.state).toBeUndefined();
    await store.save({ ...(await checkpoint(2, false)), state: { a: 1, gone: undefined } });
    expect((await store.load())!.state).toEqual({ a: 1 });
  });
});
