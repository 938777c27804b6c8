/**
 * Machine-readable codes carried by every {@link PruneError}. Switch on `error.code`, never on
 * the message text (messages may be reworded between versions).
 *
 * @example
 * ```ts
 * function explain(e: unknown): string {
 *   if (!(e instanceof PruneError)) throw e;
 *   const code: PruneErrorCode = e.code;
 *   return code === 'MISSING_DATA' ? 'pass scoring data: { data: { x, y } }' : e.message;
 * }
 * ```
 */
export type PruneErrorCode =
  /** The value passed as a model is not a tf.LayersModel (a GraphModel, a plain object...). */
  | 'NOT_A_LAYERS_MODEL'
  /** The model has no known input shape yet, so its layers have no weights. */
  | 'MODEL_NOT_BUILT'
  /** A removal plan names a group id that `analyze(model)` does not report. */
  | 'UNKNOWN_GROUP'
  /** A removal plan targets a group that `analyze(model)` reports as not prunable. */
  | 'GROUP_NOT_PRUNABLE'
  /** A channel index is not an integer in `[0, group.size)`. */
  | 'INDEX_OUT_OF_RANGE'
  /** The same channel index appears twice for one group. */
  | 'DUPLICATE_INDEX'
  /** A removal plan would leave a group with no channel at all. */
  | 'REMOVES_ALL_CHANNELS'
  /** A layer class cannot be rebuilt because it is not registered for serialization. */
  | 'UNREGISTERED_LAYER'
  /** An option is missing, of the wrong type or out of range. */
  | 'INVALID_OPTION'
  /** Data a step needs was not given (scoring data for a data-based criterion, labels for a loss). */
  | 'MISSING_DATA'
  /** Data does not fit the model: wrong number of tensors, shapes, or example counts. */
  | 'DATA_MISMATCH'
  /** Data holds values that cannot be used: NaN or infinite inputs, an empty batch. */
  | 'INVALID_DATA'
  /**
   * Too little data for what was asked: e.g. compensation has fewer calibration rows than the
   * least-squares problem of a layer has unknowns. Give more examples or a larger damping.
   */
  | 'INSUFFICIENT_DATA'
  /** A loss is needed but none was given and the model is not compiled. */
  | 'MISSING_LOSS'
  /** A criterion returned scores of the wrong length, or NaN or infinite scores. */
  | 'INVALID_SCORES'
  /**
   * A criterion's scores cannot rank channels: every score is equal (e.g. all zero) within every
   * group, or a gradient criterion was given labels the model already reproduces (the original
   * model's own outputs), so its loss gradient is zero. Use a criterion that needs no labels
   * (`criteria.activationStd()`) or real labels.
   */
  | 'DEGENERATE_SCORES'
  /**
   * The backend ran out of memory (wasm: `memory access out of bounds`; cpu: an allocation
   * failure) while scoring or fine-tuning a batch. The message says which batch size to lower.
   */
  | 'OUT_OF_MEMORY'
  /** A criterion cannot score a group (e.g. `bnScale` on a group without BatchNormalization). */
  | 'NOT_APPLICABLE'
  /**
   * A custom layer's pruning declaration (its `channelRule()` or `flops()`, see
   * {@link PrunableLayer}) is malformed or does not fit the layer.
   */
  | 'INVALID_LAYER_RULE'
  /** The requested TF.js backend is not available on this host. */
  | 'BACKEND_UNAVAILABLE'
  /**
   * A checkpoint or saved model cannot be used: a stored file is missing, truncated or corrupt, its
   * format version is unknown to this tfjs-prune, or a checkpoint given to a store to save is
   * malformed (wrong version, no weights, loop state that is not plain JSON).
   */
  | 'CHECKPOINT_INVALID'
  /** A bug in tfjs-prune itself: an internal consistency check failed. Please report it. */
  | 'INTERNAL';

/**
 * The one error class of tfjs-prune. Every refusal throws a `PruneError` whose `code` says what
 * kind of problem it is and whose message says what happened, what was expected and how to fix
 * it. Nothing is mutated when a `PruneError` is thrown.
 *
 * @example
 * ```ts
 * import { prune, PruneError } from 'tfjs-prune';
 * try {
 *   prune(model, { conv2d_1: [0, 0] });
 * } catch (e) {
 *   if (e instanceof PruneError && e.code === 'DUPLICATE_INDEX') console.warn(e.message);
 * }
 * ```
 */
export class PruneError extends Error {
  /** What kind of problem this is; stable across versions. */
  readonly code: PruneErrorCode;

  constructor(code: PruneErrorCode, message: string) {
    super(message);
    this.name = 'PruneError';
    this.code = code;
    // Keep `instanceof` working when compiled to ES5-style classes.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
