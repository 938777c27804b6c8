import type * as tf from '@tensorflow/tfjs';

/**
 * One saved state of a pruning run: the current model, the last model that met every bound (when
 * it is not the current one) and the loop's own state (step, report so far, data position, seed),
 * a JSON-serialisable object owned by the loop.
 *
 * @example
 * ```ts
 * const cp: Checkpoint = { version: 1, step: 3, model: await modelToArtifacts(model), state: { step: 3 } };
 * await memoryCheckpointStore().save(cp);
 * ```
 */
export interface Checkpoint {
  /** Format version; a store refuses versions it does not know. */
  version: 1;
  /** Completed pruning steps when the checkpoint was written. */
  step: number;
  /** The current model, as `model.save` produces it (topology + weight specs + weight data). */
  model: tf.io.ModelArtifacts;
  /** The last model that met every bound, when it differs from `model`. */
  best?: tf.io.ModelArtifacts;
  /** The loop's state; JSON only. */
  state: unknown;
}

/**
 * Where checkpoints go. `save` must be atomic: after a crash, `load` returns either the previous
 * checkpoint or the new one, never a mix. Ship your own (IndexedDB, a server...) by implementing
 * these three methods.
 *
 * @example
 * ```ts
 * import { memoryCheckpointStore } from 'tfjs-prune';
 * import { fileCheckpointStore } from 'tfjs-prune/node';
 *
 * const store: CheckpointStore = typeof window === 'undefined' ? fileCheckpointStore('out/run1') : memoryCheckpointStore();
 * ```
 */
export interface CheckpointStore {
  /** Writes a checkpoint, replacing the previous one atomically. */
  save(checkpoint: Checkpoint): Promise<void>;
  /** The last checkpoint written, or `null` when there is none. */
  load(): Promise<Checkpoint | null>;
  /** Removes the stored checkpoint (after a run that finished, if the caller wants). */
  clear(): Promise<void>;
}
