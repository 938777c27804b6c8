import type { Checkpoint, CheckpointStore } from './checkpoint-store';
import { copyArtifacts } from './copy-artifacts';
import { validateCheckpoint } from './validate-checkpoint';

/**
 * A {@link CheckpointStore} that keeps the last checkpoint in memory: for browsers, tests, and runs
 * that only need to survive an exception, not the process. `save` keeps a deep copy (weight
 * buffers copied, loop state copied as JSON), so changing what was saved afterwards does not
 * change the store, and `load` hands out a new copy every time, so changing what was loaded does
 * not either. `save` refuses a malformed checkpoint with PruneError('CHECKPOINT_INVALID') and then
 * keeps the previous one. Nothing survives a page reload; write your own store (IndexedDB, a
 * server) for that, see docs/checkpoints.md.
 *
 * @example
 * ```ts
 * import { memoryCheckpointStore, modelToArtifacts } from 'tfjs-prune';
 *
 * const store = memoryCheckpointStore();
 * await store.save({ version: 1, step: 1, model: await modelToArtifacts(model), state: { step: 1 } });
 * const last = await store.load(); // a copy: { version: 1, step: 1, model, state }
 * await store.clear(); // load() now returns null
 * ```
 */
export function memoryCheckpointStore(): CheckpointStore {
  let stored: Checkpoint | null = null;
  return {
    async save(checkpoint: Checkpoint): Promise<void> {
      validateCheckpoint(checkpoint);
      stored = copyCheckpoint(checkpoint);
    },
    async load(): Promise<Checkpoint | null> {
      return stored === null ? null : copyCheckpoint(stored);
    },
    async clear(): Promise<void> {
      stored = null;
    },
  };
}

/** A deep copy that shares no object or buffer with `checkpoint`. */
function copyCheckpoint(checkpoint: Checkpoint): Checkpoint {
  const copy: Checkpoint = {
    version: checkpoint.version,
    step: checkpoint.step,
    model: copyArtifacts(checkpoint.model),
    state: checkpoint.state === undefined ? undefined : JSON.parse(JSON.stringify(checkpoint.state)),
  };
  if (checkpoint.best !== undefined) copy.best = copyArtifacts(checkpoint.best);
  return copy;
}
