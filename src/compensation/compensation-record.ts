/**
 * One layer refit by compensation: how well its pruned input explains the original model's
 * pre-activation output, before and after the refit, on the calibration samples.
 *
 * @example
 * ```ts
 * const line = (l: CompensatedLayer) => `${l.layer}: error ${l.errorBefore.toFixed(3)} -> ${l.errorAfter.toFixed(3)}`;
 * ```
 */
export interface CompensatedLayer {
  /** Layer name. */
  readonly layer: string;
  /** Unknowns per output of its least-squares problem (kept input columns, plus the bias). */
  readonly columns: number;
  /** Design rows used (examples × sampled output positions). */
  readonly rows: number;
  /** Relative squared error `||Y - X W||² / ||Y - mean(Y)||²` with the weights surgery left. */
  readonly errorBefore: number;
  /** The same after the refit. */
  readonly errorAfter: number;
}

/**
 * What compensation did in one step: the layers refit, the BatchNormalization layers whose
 * statistics were corrected, the layers it could not refit (with the reason), and its cost.
 *
 * @example
 * ```ts
 * const describe = (r: CompensationRecord) => `${r.layers.length} layers refit on ${r.examples} samples in ${r.seconds.toFixed(1)} s`;
 * ```
 */
export interface CompensationRecord {
  /** Calibration examples used. */
  readonly examples: number;
  /** Wall-clock seconds. */
  readonly seconds: number;
  readonly layers: readonly CompensatedLayer[];
  /** Names of the BatchNormalization layers whose moving statistics were corrected. */
  readonly batchNorm: readonly string[];
  /** Layers that read removed channels but were not refit, with why. */
  readonly skipped: ReadonlyArray<{ readonly layer: string; readonly reason: string }>;
}
