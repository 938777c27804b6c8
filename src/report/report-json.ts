import type { Measurement, MetricDirection } from './measurement';
import type { StepRecord } from './step-record';

/**
 * The whole report of a pruning run as plain JSON (what `report.toJSON()` returns and what
 * `report.json` files hold).
 *
 * @example
 * ```ts
 * const json: PruneReportJSON = report.toJSON();
 * console.log(json.stoppedBy, json.final.flops / json.baseline.flops);
 * ```
 */
export interface PruneReportJSON {
  /** Format version. */
  version: 1;
  /** Name of the criterion (e.g. `'taylor'`). */
  criterion: string;
  /** What the run optimises: `'flops'`, `'params'`, `'latency'` or `'size'`. */
  objective: 'flops' | 'params' | 'latency' | 'size';
  /** Direction of every metric in `metrics` objects (`loss` included). */
  metricDirections: Record<string, MetricDirection>;
  /** The original model (after the initial fine-tune, if any). */
  baseline: Measurement;
  /** The returned model (after the final fine-tune, if any). */
  final: Measurement;
  /** One record per pruning step, in order. */
  steps: StepRecord[];
  /** Why the loop stopped (see {@link StopReason}). */
  stoppedBy: string;
  /** Human-readable detail of the stop (e.g. `'FLOPs at 49.7% of the original <= 50%'`). */
  stopDetail?: string;
  /** Set when the returned model is not the last one pruned. */
  rolledBackTo?: { step: number; reason: string };
  /** Metrics of the returned model before the final fine-tune (present when one ran). */
  finalBeforeFineTune?: Record<string, number>;
  /** Wall-clock seconds per phase over the whole run (`compensation` when the run compensates). */
  seconds: { total: number; scoring: number; surgery: number; compensation?: number; fineTune: number; evaluation: number };
  /** Pruning groups of the original model: id, channels, prunable (for width tables). */
  groups: Array<{ id: string; size: number; prunable: boolean }>;
  /**
   * The example shape (no batch axis, one per model input) FLOPs and latency were measured at,
   * when the model's own input size is not fixed (see `inputShape` of the loop's options).
   */
  inputShape?: number[][];
  /**
   * What the run did differently from what was asked, and why (e.g. a criterion whose scores were
   * all equal was replaced by another for a step). Absent when there is nothing to say.
   */
  warnings?: string[];
  /** Set when the run had a `deploy` step: the folded, quantized model that was returned. */
  deploy?: DeployReport;
  /** `learnToPrune` only: the training of the agent of each layer, in the order the layers were pruned. */
  agent?: AgentLayerTrace[];
}

/**
 * How the pruning agent of one layer learned (`learnToPrune`).
 *
 * @example
 * ```ts
 * for (const layer of report.toJSON().agent ?? []) console.log(layer.group, layer.kept, '/', layer.channels);
 * ```
 */
export interface AgentLayerTrace {
  /** Group id. */
  group: string;
  /** Channels before pruning this layer. */
  channels: number;
  /** Channels the greedy policy kept. */
  kept: number;
  /** The channels dropped (indices in the layer before it was pruned). */
  dropped: number[];
  /** Accuracy `p` on the evaluation examples before pruning this layer. */
  accuracy: number;
  /** Accuracy with the greedy policy's channels switched off (before fine-tuning). */
  greedyAccuracy: number;
  /** One entry per update: mean reward, mean kept fraction and mean accuracy `p_hat` of its samples. */
  updates: Array<{ reward: number; keptFraction: number; accuracy: number }>;
  /** Seconds spent training the agent. */
  seconds: number;
}

/**
 * What the loop's `deploy` step did to the returned model: BatchNormalization folded, weights
 * stored at `dtype`, and the result measured (the validation metrics are those of the model as
 * `tf.loadLayersModel` decodes it from that storage).
 *
 * @example
 * ```ts
 * const d: DeployReport | undefined = report.toJSON().deploy;
 * if (d) console.log(`${d.dtype}: ${d.bytes} bytes (${d.bytesFloat32} at float32), accuracy ${d.metrics.accuracy}`);
 * ```
 */
export interface DeployReport {
  /** How the weights are stored (`saveQuantized(result.model, ..., { dtype, minElements })` writes exactly this). */
  dtype: 'float32' | 'float16' | 'uint16' | 'uint8';
  minElements: number;
  /** BatchNormalization layers folded into the layer before them (`{ batchNorm, into }`). */
  folded: Array<{ batchNorm: string; into: string }>;
  /** BatchNormalization layers kept, with the reason. */
  unfolded: Array<{ layer: string; reason: string }>;
  /** Bytes of model.json + weights at `dtype`, and at float32, of the folded model. */
  bytes: number;
  bytesFloat32: number;
  /** Weight tensors kept at float32 (too small, or not representable at `dtype`). */
  keptFloat32: number;
  /** Size and cost of the folded model. */
  params: number;
  flops: number;
  /** Validation metrics of the folded model with its weights decoded from `dtype` (`{}` without validation data). */
  metrics: Record<string, number>;
  /** Seconds the step took. */
  seconds: number;
}
