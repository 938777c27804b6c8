import * as tf from '@tensorflow/tfjs';
import type { Checkpoint, CheckpointStore } from '../../src/checkpoint/checkpoint-store';
import { memoryCheckpointStore } from '../../src/checkpoint/memory-checkpoint-store';
import { pruneIteratively } from '../../src/prune-iteratively';
import type { PruneIterativelyOptions } from '../../src/loop/loop-config';
import { maxSteps } from '../../src/stopping/max-steps';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { mlp, pretrain, task } from './fixtures';

jest.setTimeout(60000);

/** A store holding `checkpoint` as it is, whatever it holds (a store a user wrote, or a damaged medium). */
function storeOf(checkpoint: Checkpoint): CheckpointStore {
  return {
    save: async () => undefined,
    load: async () => checkpoint,
    clear: async () => undefined,
  };
}

describe('pruneIteratively resume refuses a malformed loop state', () => {
  let data: ReturnType<typeof task>;
  let model: tf.Sequential;
  let saved: Checkpoint;
  let first: Checkpoint;
  let options: PruneIterativelyOptions;

  beforeAll(async () => {
    data = task(96, 32);
    model = mlp();
    await pretrain(model, data.xTrain, data.yTrain, 5);
    options = {
      compile: { optimizer: () => tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
      stop: maxSteps(4),
      schedule: { channelsPerStep: 2 },
      fineTune: { steps: 3, batchSize: 16 },
      seed: 5,
    };
    const store = memoryCheckpointStore();
    const copies: Checkpoint[] = [];
    const recording: CheckpointStore = {
      save: async (c) => {
        await store.save(c);
        copies.push((await store.load())!);
      },
      load: () => store.load(),
      clear: () => store.clear(),
    };
    await expect(
      pruneIteratively(model, { train: { x: data.xTrain, y: data.yTrain }, validation: { x: data.xVal, y: data.yVal } }, {
        ...options,
        checkpoint: recording,
        onStep: (r) => {
          if (r.step === 2) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
    saved = copies[copies.length - 1];
    first = copies.find((c) => c.step === 1)!;
    expect(saved.step).toBe(2);
  });
  afterAll(() => {
    model.dispose();
    tf.dispose(data);
  });

  const d = () => ({ train: { x: data.xTrain, y: data.yTrain }, validation: { x: data.xVal, y: data.yVal } });
  const stateOf = (c: Checkpoint) => c.state as Record<string, unknown> & { history: Array<Record<string, unknown>>; stream: Record<string, unknown> };
  /** The saved checkpoint with its state changed by `edit` (on a deep copy). */
  const tampered = (edit: (state: ReturnType<typeof stateOf>, c: Checkpoint) => void): Checkpoint => {
    const c = { ...saved, state: JSON.parse(JSON.stringify(saved.state)) as unknown };
    edit(stateOf(c), c);
    return c;
  };

  test('the untouched checkpoint resumes (the cases below differ from it in one field only)', async () => {
    const { model: small, report } = await pruneIteratively(model, d(), { ...options, checkpoint: storeOf(tampered(() => undefined)), resume: true });
    expect(report.toJSON().steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
    small.dispose();
  });

  const cases: Array<[string, (s: ReturnType<typeof stateOf>, c: Checkpoint) => void, string]> = [
    ['stream is a string', (s) => (s.stream = 'garbage' as unknown as Record<string, unknown>), 'state.stream'],
    ['history is a number', (s) => (s.history = 42 as unknown as Array<Record<string, unknown>>), 'state.history'],
    ['stream.offset is negative', (s) => (s.stream.offset = -1), 'state.stream.offset'],
    ['stream.offset is past the end of an epoch', (s) => (s.stream.offset = 1000), 'state.stream.offset'],
    ['stream.epoch is fractional', (s) => (s.stream.epoch = 0.5), 'state.stream.epoch'],
    ['step differs from the checkpoint step', (s) => (s.step = 3), 'state.step'],
    ['history lacks a step', (s) => s.history.pop(), 'state.history'],
    ['a history record has no channels', (s) => delete s.history[1].channels, 'state.history[1].channels'],
    ['bestStep is after step', (s) => (s.bestStep = 5), 'state.bestStep'],
    ['baseline is missing', (s) => delete s.baseline, 'state.baseline'],
    ['seconds.total is a string', (s) => ((s.seconds as Record<string, unknown>).total = '3'), 'state.seconds.total'],
    ['originalSizes names another group', (s) => (s.originalSizes = { h1: 16, nope: 12 }), 'state.originalSizes'],
    ['stopped.rollback is not a boolean', (s) => (s.stopped = { by: 'maxSteps(4)', rollback: 'yes' }), 'state.stopped.rollback'],
    ['the model is not the one the history ends with', (_s, c) => (c.model = first.model), 'state.history[1].channels'],
  ];

  test.each(cases)('%s: CHECKPOINT_INVALID naming the field, no tensor left behind', async (_what, edit, field) => {
    const checkpoint = tampered(edit);
    const tensors = tf.memory().numTensors;
    const err = await expectPruneErrorAsync(() => pruneIteratively(model, d(), { ...options, checkpoint: storeOf(checkpoint), resume: true }), 'CHECKPOINT_INVALID', field);
    expect(err.message).toContain('clear the store');
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
