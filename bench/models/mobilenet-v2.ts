import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../../src/errors';

/** Options of {@link buildMobileNetV2}. */
export interface MobileNetV2Args {
  /** Height and width of the square RGB input. Default: 96. */
  inputSize?: number;
  /** Width multiplier applied to every layer's channel count (rounded to multiples of 8). Default: 1.0. */
  alpha?: number;
  /** Units of the softmax head. Default: 10. */
  classes?: number;
  /** Seed of every initializer and of the batch-norm calibration input. Default: 42. */
  seed?: number;
  /**
   * Examples of the seeded random batch used to calibrate the batch-norm moving statistics.
   * Default: 8 (fewer samples give noisy statistics at the 1x1 tail of small inputs).
   */
  calibrationBatch?: number;
}

const DEFAULTS: Required<MobileNetV2Args> = { inputSize: 96, alpha: 1.0, classes: 10, seed: 42, calibrationBatch: 8 };

/** Inverted-residual stages of MobileNetV2: expansion t, output channels c, repeats n, first stride s. */
const STAGES: ReadonlyArray<readonly [t: number, c: number, n: number, s: number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/** Rounds `v` to the nearest multiple of `divisor`, never going below 90% of `v` (MobileNet rule). */
function makeDivisible(v: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}

/** One recorded layer application: the layer and the ids of the tensors it reads. */
interface Step {
  layer: tf.layers.Layer;
  inputIds: number[];
}

/**
 * Applies layers symbolically and records the order, so the same graph can be re-run eagerly
 * (id 0 is the model input, id `k` is the output of step `k - 1`).
 */
class Recorder {
  readonly steps: Step[] = [];
  private readonly ids = new Map<tf.SymbolicTensor, number>();
  private seedCounter = 0;

  constructor(readonly input: tf.SymbolicTensor, private readonly seed: number) {
    this.ids.set(input, 0);
  }

  /** A fresh seeded Glorot-uniform initializer (each layer gets its own seed). */
  init(): ReturnType<typeof tf.initializers.glorotUniform> {
    this.seedCounter++;
    return tf.initializers.glorotUniform({ seed: this.seed * 1000 + this.seedCounter });
  }

  apply(layer: tf.layers.Layer, inputs: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const out = layer.apply(list.length === 1 ? list[0] : list) as tf.SymbolicTensor;
    this.steps.push({ layer, inputIds: list.map((t) => this.ids.get(t) as number) });
    this.ids.set(out, this.steps.length);
    return out;
  }

  conv(x: tf.SymbolicTensor, name: string, filters: number, kernelSize: number, strides = 1): tf.SymbolicTensor {
    const layer = tf.layers.conv2d({ name, filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: this.init() });
    return this.apply(layer, x);
  }

  bn(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
    return this.apply(tf.layers.batchNormalization({ name, epsilon: 1e-3, momentum: 0.999 }), x);
  }

  relu6(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
    return this.apply(tf.layers.reLU({ name, maxValue: 6 }), x);
  }
}

/** One inverted-residual block: [expand 1x1 + BN + ReLU6], depthwise 3x3 + BN + ReLU6, project 1x1 + BN, [Add]. */
function invertedResidual(r: Recorder, x: tf.SymbolicTensor, block: number, expansion: number, filters: number, stride: number): tf.SymbolicTensor {
  const inShape = x.shape;
  const inChannels = inShape[3] as number;
  const prefix = block === 0 ? 'expanded_conv_' : `block_${block}_`;
  let h = x;
  if (expansion !== 1) {
    h = r.conv(h, `${prefix}expand`, inChannels * expansion, 1);
    h = r.bn(h, `${prefix}expand_BN`);
    h = r.relu6(h, `${prefix}expand_relu`);
  }
  if (stride === 2) {
    const size = inShape[1] as number;
    const padding: [[number, number], [number, number]] = size % 2 === 0 ? [[0, 1], [0, 1]] : [[1, 1], [1, 1]];
    h = r.apply(tf.layers.zeroPadding2d({ name: `${prefix}pad`, padding }), h);
  }
  h = r.apply(
    tf.layers.depthwiseConv2d({
      name: `${prefix}depthwise`,
      kernelSize: 3,
      strides: stride,
      padding: stride === 2 ? 'valid' : 'same',
      useBias: false,
      depthwiseInitializer: r.init(),
    }),
    h,
  );
  h = r.bn(h, `${prefix}depthwise_BN`);
  h = r.relu6(h, `${prefix}depthwise_relu`);
  h = r.conv(h, `${prefix}project`, filters, 1);
  h = r.bn(h, `${prefix}project_BN`);
  if (stride === 1 && inChannels === filters) h = r.apply(tf.layers.add({ name: `${prefix}add` }), [x, h]);
  return h;
}

/**
 * Re-runs the recorded graph eagerly on a seeded random batch and, at each BatchNormalization,
 * sets seeded gammas and betas and the moving mean and variance of the batch it actually sees.
 * Every BN then outputs roughly `gamma * N(0, 1) + beta`, so activations neither explode nor die
 * through ~50 convolutions and the softmax output is not degenerate.
 */
function calibrateBatchNorm(r: Recorder, inputSize: number, batch: number, seed: number): void {
  const lastUse = new Map<number, number>();
  r.steps.forEach((s, i) => s.inputIds.forEach((id) => lastUse.set(id, i)));
  const values = new Map<number, tf.Tensor>();
  values.set(0, tf.randomNormal([batch, inputSize, inputSize, 3], 0, 1, 'float32', seed));
  let bnCount = 0;
  try {
    r.steps.forEach((step, i) => {
      const ins = step.inputIds.map((id) => values.get(id) as tf.Tensor);
      if (step.layer.getClassName() === 'BatchNormalization') {
        bnCount++;
        const channels = ins[0].shape[3] as number;
        const weights = tf.tidy(() => {
          const { mean, variance } = tf.moments(ins[0], [0, 1, 2]);
          const gamma = tf.randomUniform([channels], 0.6, 1.4, 'float32', seed + 2 * bnCount);
          const beta = tf.randomUniform([channels], -0.2, 0.3, 'float32', seed + 2 * bnCount + 1);
          return [gamma, beta, mean, variance];
        });
        step.layer.setWeights(weights);
        tf.dispose(weights);
      }
      // Inside tidy: ReLU({maxValue}) called eagerly leaves its intermediate relu() tensor behind.
      const out = tf.tidy(() => step.layer.apply(ins.length === 1 ? ins[0] : ins) as tf.Tensor);
      values.set(i + 1, out);
      step.inputIds.forEach((id) => {
        if (lastUse.get(id) === i) {
          values.get(id)?.dispose();
          values.delete(id);
        }
      });
    });
  } finally {
    values.forEach((t) => t.dispose());
  }
}

function positiveNumber(name: string, value: number, integer: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new PruneError(
      'INVALID_OPTION',
      `buildMobileNetV2: '${name}' must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}. Pass e.g. { ${name}: ${DEFAULTS[name as keyof MobileNetV2Args]} }.`,
    );
  }
  return value;
}

/**
 * Builds a deterministic MobileNetV2-style functional model in code (no download): stem
 * Conv2D(stride 2, no bias) + BN + ReLU6, the 17 inverted-residual blocks of MobileNetV2 (residual
 * `Add` when stride 1 and same width, `ZeroPadding2D` before every stride-2 depthwise), final 1x1
 * conv to 1280 channels + BN + ReLU6, global average pooling and a softmax Dense head: 156 layers
 * (including the input layer). Kernels use seeded Glorot-uniform initializers; batch-norm layers
 * get seeded gammas/betas and moving statistics calibrated on a seeded random batch, so outputs
 * are finite and not degenerate. Same arguments, same weights (on the same backend).
 *
 * @example
 * ```ts
 * import { buildMobileNetV2 } from './bench/models/mobilenet-v2';
 *
 * const model = buildMobileNetV2({ inputSize: 32, alpha: 0.35, classes: 5, seed: 1 });
 * model.layers.length; // 156
 * ```
 */
export function buildMobileNetV2(args: MobileNetV2Args = {}): tf.LayersModel {
  const inputSize = positiveNumber('inputSize', args.inputSize ?? DEFAULTS.inputSize, true);
  const alpha = positiveNumber('alpha', args.alpha ?? DEFAULTS.alpha, false);
  const classes = positiveNumber('classes', args.classes ?? DEFAULTS.classes, true);
  const seed = positiveNumber('seed', args.seed ?? DEFAULTS.seed, true);
  const calibrationBatch = positiveNumber('calibrationBatch', args.calibrationBatch ?? DEFAULTS.calibrationBatch, true);

  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input' });
  const r = new Recorder(input, seed);
  let x = r.conv(input, 'Conv1', makeDivisible(32 * alpha), 3, 2);
  x = r.bn(x, 'bn_Conv1');
  x = r.relu6(x, 'Conv1_relu');
  let block = 0;
  for (const [t, c, n, s] of STAGES) {
    for (let i = 0; i < n; i++) {
      x = invertedResidual(r, x, block, t, makeDivisible(c * alpha), i === 0 ? s : 1);
      block++;
    }
  }
  x = r.conv(x, 'Conv_1', alpha > 1 ? makeDivisible(1280 * alpha) : 1280, 1);
  x = r.bn(x, 'Conv_1_bn');
  x = r.relu6(x, 'out_relu');
  x = r.apply(tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }), x);
  const output = r.apply(tf.layers.dense({ name: 'predictions', units: classes, activation: 'softmax', kernelInitializer: r.init() }), x);
  const model = tf.model({ inputs: input, outputs: output, name: `mobilenetv2_${alpha}_${inputSize}` });
  calibrateBatchNorm(r, inputSize, calibrationBatch, seed);
  return model;
}
