/**
 * The size, cost and quality of one model, as the pruning loop measures it.
 *
 * @example
 * ```ts
 * const m: Measurement = { params: 56714, flops: 706752, metrics: { accuracy: 0.965, loss: 0.11 } };
 * const { baseline, final } = report.toJSON(); // both Measurements
 * const flopsKept = final.flops / baseline.flops;
 * ```
 */
export interface Measurement {
  /** Weights of the model (`countParams(model).total`). */
  params: number;
  /** Multiply-accumulates per example (`countFlops(model).total`). */
  flops: number;
  /** Median `predict` latency in ms, when the run measures latency (objective or target `latency`). */
  latencyMs?: number;
  /**
   * Stored size in bytes at 32 bits (weights, as `storedSize(model).bytes` counts them, plus the
   * topology), when the run measures size (objective `'size'`, `targetSize`, or a `deploy` step).
   */
  bytes?: number;
  /** The same at the deploy step's precision (`deploy.dtype`), when it is not float32. */
  bytesQuantized?: number;
  /** Validation metrics by name (`loss` and each compiled metric), when there is validation data. */
  metrics: Record<string, number>;
}

/**
 * Whether a larger value of a metric is better. Every metric declares it; nothing is guessed from
 * a metric's name.
 *
 * @example
 * ```ts
 * const accuracyDirection: MetricDirection = 'higher';
 * ```
 */
export type MetricDirection = 'higher' | 'lower';
