import type * as tf from '@tensorflow/tfjs';
import type { DataSource } from '../data/data-source';
import type { LossSpec } from '../data/per-example-loss';
import type { Metric } from '../metrics/metric';
import { countFlops } from '../metrics/count-flops';
import { countParams } from '../metrics/count-params';
import { evaluateModel } from '../metrics/evaluate-model';
import { measureLatency } from '../metrics/measure-latency';
import { compareOutputs } from '../metrics/compare-outputs';
import { storedSize } from '../metrics/stored-size';
import type { StorageDtype } from '../deploy/quantize-artifacts';
import type { Measurement } from '../report/measurement';

/** What the loop measures and with what. */
export interface MeasureSettings {
  validation?: DataSource;
  lossOf: (yTrue: tf.Tensor[], yPred: tf.Tensor[]) => tf.Tensor1D;
  metrics: readonly Metric[];
  batchSize: number;
  latency: boolean;
  /** Unlabeled validation data: measure this against `original`'s outputs instead of the loss. */
  unlabeled?: 'agreement' | 'outputMse';
  original?: tf.LayersModel;
  /** Example shapes to count FLOPs and measure latency at (models whose input size is not fixed). */
  inputShape?: number[][];
  /** The loss behind `lossOf`, to check the labels' shapes of validation batches. */
  loss?: LossSpec | LossSpec[];
  /** Stored bytes to measure: at float32, and at `dtype` when it is not float32. Default: none. */
  size?: { dtype: StorageDtype; minElements: number } | null;
}

/** Validation metrics (`{}` without validation data). */
export async function validationMetrics(model: tf.LayersModel, s: MeasureSettings): Promise<Record<string, number>> {
  if (s.validation === undefined) return {};
  if (s.unlabeled !== undefined && s.original !== undefined) {
    const c = await compareOutputs(model, s.original, s.validation, s.batchSize, 'data.validation');
    return s.unlabeled === 'agreement' ? { agreement: c.agreement } : { outputMse: c.mse };
  }
  return evaluateModel(model, s.validation, s.lossOf, s.metrics, s.batchSize, 'data.validation', s.loss === undefined ? undefined : { loss: s.loss });
}

/** Params, FLOPs, latency (when asked) and validation metrics of a model. */
export async function measureModel(model: tf.LayersModel, s: MeasureSettings, metrics?: Record<string, number>): Promise<Measurement> {
  const at = s.inputShape ? { inputShape: s.inputShape } : {};
  const m: Measurement = { params: countParams(model).total, flops: countFlops(model, at).total, metrics: metrics ?? (await validationMetrics(model, s)) };
  if (s.latency) m.latencyMs = (await measureLatency(model, { batchSize: 1, runs: 30, warmup: 5, ...at })).medianMs;
  if (s.size) {
    m.bytes = storedSize(model).bytes;
    if (s.size.dtype !== 'float32') m.bytesQuantized = storedSize(model, s.size).bytes;
  }
  return m;
}
