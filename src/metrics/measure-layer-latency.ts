import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import { assertLayersModel } from '../model/assert-layers-model';
import { resolveInputShape, type InputShape } from './input-shape';
import { modelNodes, shapeList, type Dims } from './model-nodes';
import { nodeShapesAt } from './node-shapes';

/**
 * Options of {@link measureLayerLatency}.
 *
 * @example
 * ```ts
 * const options: MeasureLayerLatencyOptions = { batchSize: 1, runs: 10, warmup: 2 };
 * ```
 */
export interface MeasureLayerLatencyOptions {
  /** Examples per call (the batch axis of the generated inputs). Default: 1. */
  batchSize?: number;
  /** Timed calls per layer; the median is reported. Default: 10. */
  runs?: number;
  /** Untimed calls per layer first (kernel compilation, allocation). May be 0. Default: 2. */
  warmup?: number;
  /**
   * The shape of one example (no batch axis), one per input, for models whose input size is not
   * fixed (`[null, null, 3]`). Default: the model's own input shapes (refused when not fixed).
   */
  inputShape?: InputShape;
}

/**
 * What {@link measureLayerLatency} measured.
 *
 * @example
 * ```ts
 * const { layers, totalMs }: LayerLatencyResult = await measureLayerLatency(model);
 * ```
 */
export interface LayerLatencyResult {
  /** Median milliseconds of one call of each layer (summed over its applications), by layer name. */
  layers: Record<string, number>;
  /** Sum of `layers`: the model's time with every layer run on its own (no fusion across layers). */
  totalMs: number;
  /** Examples per call. */
  batchSize: number;
  /** The TF.js backend the layers ran on. */
  backend: string;
}

const DEFAULTS = { batchSize: 1, runs: 10, warmup: 2 } as const;
const INPUT_SEED = 20240607;

function integer(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new PruneError('INVALID_OPTION', `measureLayerLatency: ${name} must be an integer >= ${min}; got ${String(value)}. Pass e.g. { ${name}: ${fallback} }.`);
  }
  return value;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Times every layer of `model` on its own, on the current backend: each layer application is
 * called on seeded inputs of the shapes it sees inside the model (at `batchSize` examples), its
 * outputs read back, `runs` times after `warmup` untimed calls; the median is kept. Where a model
 * spends its time differs from where its FLOPs are (a depthwise convolution or a BatchNorm costs
 * far more per multiply-add than a dense convolution on wasm or WebGL); with `objective:
 * 'latency'`, the pruning ranking charges each channel the measured time it saves.
 *
 * @param model The model (not modified).
 * @param options Batch size, runs, warm-up calls and, for models whose input size is not fixed,
 *   `inputShape`.
 * @throws PruneError `INVALID_OPTION` for bad options or a model whose input size is not fixed
 *   and no `inputShape`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { measureLayerLatency } from 'tfjs-prune';
 *
 * const model = tf.sequential({ layers: [
 *   tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 16, kernelSize: 3 }),
 *   tf.layers.depthwiseConv2d({ kernelSize: 3 }),
 * ] });
 * const { layers } = await measureLayerLatency(model, { runs: 5 });
 * console.log(layers); // { conv2d_Conv2D1: 0.21, depthwise_conv2d_DepthwiseConv2D1: 0.09 } (ms, say)
 * ```
 */
export async function measureLayerLatency(model: tf.LayersModel, options: MeasureLayerLatencyOptions = {}): Promise<LayerLatencyResult> {
  assertLayersModel(model, 'model');
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new PruneError('INVALID_OPTION', `measureLayerLatency: options must be an object like { runs: 10 }; got ${options === null ? 'null' : typeof options}.`);
  }
  const unknown = Object.keys(options).filter((k) => !['batchSize', 'runs', 'warmup', 'inputShape'].includes(k));
  if (unknown.length > 0) throw new PruneError('INVALID_OPTION', `measureLayerLatency: unknown option(s) ${unknown.join(', ')}; known: batchSize, runs, warmup, inputShape.`);
  const batchSize = integer('batchSize', options.batchSize, DEFAULTS.batchSize, 1);
  const runs = integer('runs', options.runs, DEFAULTS.runs, 1);
  const warmup = integer('warmup', options.warmup, DEFAULTS.warmup, 0);
  const given = options.inputShape === undefined ? null : resolveInputShape(model, options.inputShape, 'measureLayerLatency');
  const shapes = given === null ? null : nodeShapesAt(model, given.map((s): Dims => [null, ...s]));
  const layers: Record<string, number> = {};
  let seed = INPUT_SEED;
  for (const node of modelNodes(model).reverse()) {
    const layer = node.outboundLayer;
    const inputShapes = shapes?.get(node)?.inputShapes ?? shapeList(node.inputShapes);
    const concrete = inputShapes.map((s) => s.map((d, i) => (i === 0 ? batchSize : d)));
    if (concrete.some((s) => s.some((d) => d === null || d === undefined))) {
      throw new PruneError(
        'INVALID_OPTION',
        `measureLayerLatency: layer '${layer.name}' sees inputs of unknown size (${JSON.stringify(inputShapes)}), so it cannot be timed. Pass options.inputShape, the shape of one example without the batch axis (e.g. [128, 128, 3]).`,
      );
    }
    const dtypes = node.inputTensors.map((t) => t.dtype);
    const inputs = concrete.map((s, i) => (dtypes[i] === 'float32' ? tf.randomNormal(s as number[], 0, 1, 'float32', seed++) : tf.zeros(s as number[], dtypes[i])));
    const samples: number[] = [];
    try {
      for (let r = 0; r < warmup + runs; r++) {
        const start = performance.now();
        const result = tf.tidy(() => layer.apply(inputs.length === 1 ? inputs[0] : inputs) as tf.Tensor | tf.Tensor[]);
        const outputs = Array.isArray(result) ? result : [result];
        try {
          await Promise.all(outputs.map((t) => t.data()));
        } finally {
          tf.dispose(outputs);
        }
        if (r >= warmup) samples.push(performance.now() - start);
      }
    } finally {
      tf.dispose(inputs);
    }
    layers[layer.name] = (layers[layer.name] ?? 0) + median(samples);
    // Let a page repaint and an abort land between layers.
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
  const totalMs = Object.values(layers).reduce((a, b) => a + b, 0);
  return { layers, totalMs, batchSize, backend: tf.getBackend() };
}
