import * as tf from '@tensorflow/tfjs';

/**
 * Options of {@link buildFmnistCnn}.
 *
 * @example
 * ```ts
 * const options: FmnistCnnOptions = { seed: 0 };
 * ```
 */
export interface FmnistCnnOptions {
  /** Seed of the kernel initializers (layer `i` gets `seed + i`). Default: 0. */
  seed?: number;
}

/** Filters of the three conv blocks. */
const FILTERS = [32, 64, 128] as const;

/**
 * The criteria (and pruning-loop) benchmark model for Fashion-MNIST, architecture fixed by the
 * project: three blocks of Conv2D 3x3 `same` (32, 64, 128 filters) + BatchNormalization + ReLU +
 * MaxPooling 2, then Flatten, Dense 128 ReLU, Dense 10 softmax. Layers are named `conv1`, `bn1`,
 * `relu1`, `pool1`, ..., `conv3`, `bn3`, `relu3`, `pool3`, `flatten`, `fc1`, `out`. 7,643,776
 * MACs per 28x28x1 example by `countFlops` (the project's "about 7.8 M"; BN counted as 1 MAC per
 * element; `pool3` takes 7x7 to 3x3), 242,442 parameters.
 * Kernels are Glorot-uniform with seeds `seed + 1 .. seed + 5`; biases and BN start at their
 * (deterministic) defaults, so the same seed always builds the same model.
 *
 * @example
 * ```ts
 * import { countFlops } from '../../src/index';
 * const model = buildFmnistCnn({ seed: 0 });
 * console.log(countFlops(model).total); // 7,643,776
 * ```
 */
export function buildFmnistCnn(options: FmnistCnnOptions = {}): tf.Sequential {
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`buildFmnistCnn: seed must be an integer >= 0; got ${String(seed)}.`);
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seed + i });
  const layers: tf.layers.Layer[] = [];
  FILTERS.forEach((filters, b) => {
    const n = b + 1;
    layers.push(
      tf.layers.conv2d({
        name: `conv${n}`,
        ...(b === 0 ? { inputShape: [28, 28, 1] } : {}),
        filters,
        kernelSize: 3,
        padding: 'same',
        kernelInitializer: init(n),
      }),
      tf.layers.batchNormalization({ name: `bn${n}` }),
      tf.layers.reLU({ name: `relu${n}` }),
      tf.layers.maxPooling2d({ name: `pool${n}`, poolSize: 2 }),
    );
  });
  layers.push(
    tf.layers.flatten({ name: 'flatten' }),
    tf.layers.dense({ name: 'fc1', units: 128, activation: 'relu', kernelInitializer: init(4) }),
    tf.layers.dense({ name: 'out', units: 10, activation: 'softmax', kernelInitializer: init(5) }),
  );
  return tf.sequential({ name: 'fmnist_cnn', layers });
}
