import { PruneError } from '../errors';
import type { DataSource } from '../data/data-source';

/**
 * How {@link prune} (and the loop's `compensate` option) repairs what a removal broke, before any
 * training and without labels: every layer that read removed channels (Dense, Conv1D/2D/3D, Conv2DTranspose,
 * SeparableConv2D's pointwise part, a Dense after Flatten) is refit in closed form so that its
 * pre-activation output matches the original model's on calibration samples (ridge least squares,
 * He et al. 2017, ThiNet), then the statistics of the BatchNormalization layers whose input
 * changed are corrected to match the original's.
 *
 * @example
 * ```ts
 * import { prune } from 'tfjs-prune';
 *
 * const compensate: CompensateOptions = { data: { x: xTrain.slice(0, 512) }, damping: 0.01 };
 * const smaller = await prune(model, { conv2d_Conv2D1: [0, 3] }, { compensate });
 * ```
 */
export interface CompensateOptions {
  /**
   * Calibration samples: `{ x }` tensors or a batched dataset of `{ xs }` (labels, if present, are
   * ignored). A few hundred to a few thousand examples; at least as many design rows as a refit
   * layer has input columns (a Dense of 512 inputs wants ≥ 512 examples).
   */
  data: DataSource;
  /**
   * Ridge damping, relative to the mean diagonal of `X'X`; the refit is pulled toward the layer's
   * current weights by `damping × mean(diag(X'X))`. Default `0.01`. Raise it when data are few.
   */
  damping?: number;
  /** Refit the layers that read removed channels. Default `true`. */
  refit?: boolean;
  /** Correct the statistics of BatchNormalization layers whose input changed. Default `true`. */
  batchNorm?: boolean;
  /** Examples per forward batch (tensors only; a dataset keeps its own batches). Default `32`. */
  batchSize?: number;
  /** Seed of the output positions sampled from convolutions' feature maps. Default `0`. */
  seed?: number;
}

/** {@link CompensateOptions} with every default filled in; `dampingGiven` says whether the user chose it. */
export interface ResolvedCompensation {
  readonly data: DataSource;
  readonly damping: number;
  readonly dampingGiven: boolean;
  readonly refit: boolean;
  readonly batchNorm: boolean;
  readonly batchSize: number;
  readonly seed: number;
  /**
   * What a layer with fewer design rows than half its unknowns does when `damping` was not given:
   * `'throw'` (`INSUFFICIENT_DATA`, the surgery's default) or `'skip'` (the layer is listed in the
   * record's `skipped`, the loop's choice: a long run does not die of one wide layer).
   */
  readonly onShortData: 'throw' | 'skip';
}

const KEYS = ['data', 'damping', 'refit', 'batchNorm', 'batchSize', 'seed'];

/** Validates compensation options (the data's shapes are checked against the model later). */
export function resolveCompensation(options: unknown, where: string): ResolvedCompensation {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new PruneError('INVALID_OPTION', `${where}.compensate must be an object such as { data: { x: samples } }; got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}.`);
  }
  const o = options as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !KEYS.includes(k));
  if (unknown.length > 0) {
    throw new PruneError('INVALID_OPTION', `${where}.compensate has unknown option(s) ${unknown.map((k) => `'${k}'`).join(', ')}; known options: ${KEYS.join(', ')}.`);
  }
  if (o.data === undefined || o.data === null) {
    throw new PruneError('MISSING_DATA', `${where}.compensate.data is missing: give calibration samples, e.g. { data: { x: xTrain.slice(0, 512) } } (no labels needed).`);
  }
  const num = (key: string, fallback: number, ok: (v: number) => boolean, rule: string): number => {
    const v = o[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !ok(v)) throw new PruneError('INVALID_OPTION', `${where}.compensate.${key} must be ${rule}; got ${String(v)}.`);
    return v;
  };
  const bool = (key: string): boolean => {
    const v = o[key];
    if (v === undefined) return true;
    if (typeof v !== 'boolean') throw new PruneError('INVALID_OPTION', `${where}.compensate.${key} must be true or false; got ${String(v)}.`);
    return v;
  };
  const refit = bool('refit');
  const batchNorm = bool('batchNorm');
  if (!refit && !batchNorm) {
    throw new PruneError('INVALID_OPTION', `${where}.compensate turns off both refit and batchNorm, so it would do nothing; drop the compensate option instead.`);
  }
  return {
    data: o.data as DataSource,
    damping: num('damping', 0.01, (v) => Number.isFinite(v) && v >= 0, 'a finite number >= 0 (e.g. 0.01)'),
    dampingGiven: o.damping !== undefined,
    refit,
    batchNorm,
    batchSize: num('batchSize', 32, (v) => Number.isInteger(v) && v > 0, 'a positive integer'),
    seed: num('seed', 0, Number.isInteger, 'an integer'),
    onShortData: 'throw',
  };
}
