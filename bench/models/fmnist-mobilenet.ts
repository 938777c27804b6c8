import * as tf from '@tensorflow/tfjs';

/**
 * Options of {@link buildFmnistMobileNet}.
 *
 * @example
 * ```ts
 * const options: FmnistMobileNetOptions = { seed: 0 };
 * ```
 */
export interface FmnistMobileNetOptions {
  /** Seed of the kernel initializers (the k-th conv, depthwise or dense layer gets `seed + k`). Default: 0. */
  seed?: number;
}

/** Inverted-residual blocks: expansion t, output channels c, stride s (a residual Add when s = 1 and the width is kept). */
const BLOCKS: ReadonlyArray<readonly [t: number, c: number, s: number]> = [
  [1, 24, 2],
  [4, 24, 1],
  [4, 48, 2],
  [4, 48, 1],
  [4, 48, 1],
];

/** Channels of the stem and of the 1x1 head convolution. */
const STEM = 16;
const HEAD = 192;

/**
 * The residual benchmark model for Fashion-MNIST (issue 16's second benchmark): a small
 * MobileNetV2-style network whose coupled groups are what the plain CNN lacks.
 *
 * - Stem: Conv2D 3x3 (16, no bias) + BN + ReLU at 28x28.
 * - Five inverted-residual blocks (`block{i}_expand` 1x1 + BN + ReLU when t > 1, `block{i}_dw`
 *   depthwise 3x3 `same` + BN + ReLU, `block{i}_project` 1x1 + BN, and `block{i}_add` when the
 *   block keeps its width at stride 1): 16 -> 24 (stride 2, 14x14), 24 -> 24 (Add), 24 -> 48
 *   (stride 2, 7x7), 48 -> 48 (Add), 48 -> 48 (Add).
 * - Head: Conv2D 1x1 (192) + BN + ReLU, global average pooling, Dense 10 softmax.
 *
 * The 24- and 48-channel residual streams are coupled groups (every projection of a stream and the
 * reader after it lose the same channels); every expansion channel couples a 1x1 conv, a
 * depthwise filter and their BNs. Same seed, same weights.
 *
 * @example
 * ```ts
 * import { countFlops } from '../../src/index';
 * const model = buildFmnistMobileNet({ seed: 0 });
 * console.log(countFlops(model).total);
 * ```
 */
export function buildFmnistMobileNet(options: FmnistMobileNetOptions = {}): tf.LayersModel {
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`buildFmnistMobileNet: seed must be an integer >= 0; got ${String(seed)}.`);
  let k = 0;
  const init = () => tf.initializers.glorotUniform({ seed: seed + ++k });
  const conv = (x: tf.SymbolicTensor, name: string, filters: number, kernelSize: number): tf.SymbolicTensor =>
    tf.layers.conv2d({ name, filters, kernelSize, padding: 'same', useBias: false, kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
  const bn = (x: tf.SymbolicTensor, name: string): tf.SymbolicTensor => tf.layers.batchNormalization({ name }).apply(x) as tf.SymbolicTensor;
  // Plain ReLU, not MobileNetV2's ReLU6: ReLU6's gradient is five elementwise kernels on wasm (a
  // fifth of a training step), and the benchmark judges the pruning of coupled groups, not the clip.
  const relu = (x: tf.SymbolicTensor, name: string): tf.SymbolicTensor => tf.layers.reLU({ name }).apply(x) as tf.SymbolicTensor;

  const input = tf.input({ shape: [28, 28, 1], name: 'input' });
  let x = relu(bn(conv(input, 'stem', STEM, 3), 'stem_bn'), 'stem_relu');
  BLOCKS.forEach(([t, c, s], i) => {
    const p = `block${i + 1}`;
    const inChannels = x.shape[3] as number;
    let h = x;
    if (t !== 1) h = relu(bn(conv(h, `${p}_expand`, inChannels * t, 1), `${p}_expand_bn`), `${p}_expand_relu`);
    h = tf.layers.depthwiseConv2d({ name: `${p}_dw`, kernelSize: 3, strides: s, padding: 'same', useBias: false, depthwiseInitializer: init() }).apply(h) as tf.SymbolicTensor;
    h = relu(bn(h, `${p}_dw_bn`), `${p}_dw_relu`);
    h = bn(conv(h, `${p}_project`, c, 1), `${p}_project_bn`);
    if (s === 1 && inChannels === c) h = tf.layers.add({ name: `${p}_add` }).apply([x, h]) as tf.SymbolicTensor;
    x = h;
  });
  x = relu(bn(conv(x, 'head', HEAD, 1), 'head_bn'), 'head_relu');
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ name: 'out', units: 10, activation: 'softmax', kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'fmnist_mobilenet' });
}
