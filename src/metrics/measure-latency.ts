import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import { assertLayersModel } from '../model/assert-layers-model';
import { resolveInputShape, type InputShape } from './input-shape';

/**
 * Options of {@link measureLatency}.
 *
 * @example
 * ```ts
 * const options: MeasureLatencyOptions = { batchSize: 32, runs: 50, warmup: 5, inputShape: [28, 28, 1] };
 * const { medianMs } = await measureLatency(model, options);
 * ```
 */
export interface MeasureLatencyOptions {
  /** Examples per `predict` call (the batch axis of the generated input). Default: 1. */
  batchSize?: number;
  /** Timed `predict` calls; the statistics are computed over these. Default: 20. */
  runs?: number;
  /**
   * Untimed `predict` calls made first, so one-off costs (kernel compilation, weight upload,
   * memory allocation) are not measured. May be 0. Default: 3.
   */
  warmup?: number;
  /**
   * The shape of one example (no batch axis) to measure at, for models whose input size is not
   * fixed (`[null, null, null, 3]`); one shape per input for multi-input models. Sizes the model
   * fixes must match. Default: the model's own input shapes (refused when they are not fixed).
   */
  inputShape?: InputShape;
}

/**
 * What {@link measureLatency} returns. Times are wall-clock milliseconds per `predict` call.
 *
 * @example
 * ```ts
 * const r: MeasureLatencyResult = await measureLatency(model, { runs: 30 });
 * console.log(`${r.medianMs.toFixed(2)} ms (IQR ${r.iqrMs.toFixed(2)} ms) on ${r.backend}, batch ${r.batchSize}`);
 * ```
 */
export interface MeasureLatencyResult {
  /** Median of the timed runs: the figure to compare models with. */
  medianMs: number;
  /** Arithmetic mean of the timed runs (sensitive to outliers such as a GC pause). */
  meanMs: number;
  /** Fastest timed run. */
  minMs: number;
  /** Slowest timed run. */
  maxMs: number;
  /** 10th percentile (linear interpolation between the sorted runs). */
  p10Ms: number;
  /** 90th percentile (linear interpolation between the sorted runs). */
  p90Ms: number;
  /** Interquartile range, 75th minus 25th percentile: the spread to report with the median. */
  iqrMs: number;
  /** Every timed run, in the order they ran. */
  samplesMs: number[];
  /** Number of timed runs. */
  runs: number;
  /** Examples per `predict` call. */
  batchSize: number;
  /** The TF.js backend the runs used (`tf.getBackend()`), e.g. 'cpu', 'wasm', 'webgl'. */
  backend: string;
}

const DEFAULTS = { batchSize: 1, runs: 20, warmup: 3 } as const;
const OPTION_NAMES = [...Object.keys(DEFAULTS), 'inputShape'];
/** Seed of the generated float inputs, so every call measures the same input. */
const INPUT_SEED = 20240601;

/**
 * Measures how long `model.predict` takes on the current TF.js backend. Builds one fixed input
 * per model input (shape `[batchSize, ...inputShape]`; float inputs get seeded normal values,
 * int32/bool inputs and inputs that feed an Embedding or CategoryEncoding layer directly get
 * zeros, which are valid indices), runs `warmup` untimed calls, then `runs` timed calls. Each
 * timed call includes reading every output back (`await output.data()`), so asynchronous
 * backends (webgl, webgpu) are measured to completion. Times come from `performance.now()`.
 * Every tensor it creates is disposed. Multi-input and multi-output models are supported.
 *
 * Timings vary with the machine, the backend and its load: compare models on the same host and
 * backend, and report the median with its spread (`iqrMs`).
 *
 * @param model A built `tf.LayersModel` whose input shapes are fully known (except the batch), or
 *   any model with `options.inputShape`.
 * @param options Batch size, timed runs, warm-up runs and the input shape to measure at; see
 *   {@link MeasureLatencyOptions}.
 * @returns Median, mean, min, max, p10, p90 and IQR in milliseconds, the raw samples, and the
 *   settings and backend used.
 * @throws PruneError `NOT_A_LAYERS_MODEL` / `MODEL_NOT_BUILT` for a bad model (also when an input
 *   has an unknown non-batch size and no `inputShape` is given), `INVALID_OPTION` for a bad option.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { measureLatency } from 'tfjs-prune';
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [784], units: 10 })] });
 * const { medianMs, iqrMs, backend } = await measureLatency(model, { runs: 50, batchSize: 1 });
 * console.log(`${medianMs.toFixed(2)} ms (IQR ${iqrMs.toFixed(2)}) on ${backend}`);
 * ```
 */
export async function measureLatency(model: tf.LayersModel, options: MeasureLatencyOptions = {}): Promise<MeasureLatencyResult> {
  assertLayersModel(model, 'model');
  const { batchSize, runs, warmup } = validateOptions(options);
  const shapes =
    options.inputShape === undefined
      ? inputShapes(model, batchSize)
      : resolveInputShape(model, options.inputShape, 'measureLatency').map((s) => [batchSize, ...s]);

  const inputs: tf.Tensor[] = [];
  try {
    model.inputs.forEach((symbolic, i) => {
      inputs.push(makeInput(symbolic, shapes[i]!, INPUT_SEED + i));
    });
    const feed = inputs.length === 1 ? inputs[0]! : inputs;
    for (let i = 0; i < warmup; i++) await runOnce(model, feed, batchSize);
    const samplesMs: number[] = [];
    for (let i = 0; i < runs; i++) samplesMs.push(await runOnce(model, feed, batchSize));
    return { ...summarize(samplesMs), samplesMs, runs, batchSize, backend: tf.getBackend() };
  } finally {
    for (const t of inputs) t.dispose();
  }
}

/** One `predict` call with every output read back; returns its duration in ms. */
async function runOnce(model: tf.LayersModel, feed: tf.Tensor | tf.Tensor[], batchSize: number): Promise<number> {
  let outputs: tf.Tensor[] = [];
  try {
    const start = performance.now();
    const result = model.predict(feed, { batchSize });
    outputs = Array.isArray(result) ? result : [result];
    await Promise.all(outputs.map((t) => t.data()));
    return performance.now() - start;
  } finally {
    for (const t of outputs) t.dispose();
  }
}

function validateOptions(options: unknown): Required<Omit<MeasureLatencyOptions, 'inputShape'>> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new PruneError(
      'INVALID_OPTION',
      `measureLatency options must be an object like { runs: 20 }, got ${options === null ? 'null' : typeof options}. ` +
        'Pass an object or leave the argument out to use the defaults.',
    );
  }
  const known = new Set(OPTION_NAMES);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new PruneError(
        'INVALID_OPTION',
        `measureLatency got an unknown option '${key}'. Expected only ${[...known].join(', ')}; check the spelling.`,
      );
    }
  }
  const given = options as MeasureLatencyOptions;
  return {
    batchSize: integerOption('batchSize', given.batchSize, DEFAULTS.batchSize, 1),
    runs: integerOption('runs', given.runs, DEFAULTS.runs, 1),
    warmup: integerOption('warmup', given.warmup, DEFAULTS.warmup, 0),
  };
}

function integerOption(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new PruneError(
      'INVALID_OPTION',
      `measureLatency option '${name}' is ${JSON.stringify(value) ?? String(value)}, but an integer >= ${min} was expected. ` +
        `Pass a whole number such as ${fallback}, or leave it out for the default (${fallback}).`,
    );
  }
  return value;
}

/** `[batchSize, ...shape]` for each model input; refuses inputs with an unknown non-batch size. */
function inputShapes(model: tf.LayersModel, batchSize: number): number[][] {
  return model.inputs.map((symbolic) => {
    const rest = symbolic.shape.slice(1);
    if (rest.some((d) => d === null || d === undefined)) {
      throw new PruneError(
        'MODEL_NOT_BUILT',
        `measureLatency needs a fixed input shape, but model input '${symbolic.name}' has shape ` +
          `${JSON.stringify(symbolic.shape)} (null beyond the batch axis). ` +
          `Pass the shape of one example to measure at, e.g. measureLatency(model, { inputShape: [${rest.map((d) => d ?? 64).join(', ')}] }).`,
      );
    }
    return [batchSize, ...(rest as number[])];
  });
}

/** Layers whose input holds indices: random floats would be out-of-range indices for them. */
const INDEX_CONSUMERS: ReadonlySet<string> = new Set(['Embedding', 'CategoryEncoding']);

function makeInput(symbolic: tf.SymbolicTensor, shape: number[], seed: number): tf.Tensor {
  const feedsIndices = symbolic.sourceLayer.outboundNodes.some((node) =>
    INDEX_CONSUMERS.has(node.outboundLayer.getClassName()),
  );
  if (symbolic.dtype === 'float32' && !feedsIndices) return tf.randomNormal(shape, 0, 1, 'float32', seed);
  if (symbolic.dtype === 'string') {
    throw new PruneError(
      'INVALID_OPTION',
      `measureLatency cannot generate an input for '${symbolic.name}': string inputs are not supported. ` +
        'Measure a model whose inputs are numeric tensors.',
    );
  }
  return tf.zeros(shape, symbolic.dtype);
}

/** Value at quantile `q` of ascending `sorted`, interpolating linearly between neighbours. */
function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function summarize(samples: number[]): Omit<MeasureLatencyResult, 'samplesMs' | 'runs' | 'batchSize' | 'backend'> {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    medianMs: quantile(sorted, 0.5),
    meanMs: samples.reduce((a, b) => a + b, 0) / samples.length,
    minMs: sorted[0]!,
    maxMs: sorted[sorted.length - 1]!,
    p10Ms: quantile(sorted, 0.1),
    p90Ms: quantile(sorted, 0.9),
    iqrMs: quantile(sorted, 0.75) - quantile(sorted, 0.25),
  };
}
