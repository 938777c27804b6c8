// Names the code blocks of README.md and docs/*.md may use without defining them: the things a
// reader already has in their own program (a trained model, their data). Every other name a block
// uses must be imported or defined in the block itself. See test/docs/code-blocks.test.ts.
import type * as tf from '@tensorflow/tfjs';
import type { PruneReport } from '../../src';

declare global {
  /** A trained, compiled tf.LayersModel (image classifier: NHWC input, softmax output). */
  const model: tf.LayersModel;
  /** Training inputs and one-hot labels. */
  const xTrain: tf.Tensor;
  const yTrain: tf.Tensor;
  /** Held-out validation inputs and one-hot labels. */
  const xVal: tf.Tensor;
  const yVal: tf.Tensor;
  /** Test inputs and one-hot labels. */
  const xTest: tf.Tensor;
  const yTest: tf.Tensor;
  /** The same data as tf.data datasets of `{ xs, ys }` batches. */
  const trainDataset: tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>;
  const valDataset: tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>;
  /** The report of a finished run (`const { report } = await pruneIteratively(...)`). */
  const report: PruneReport;
}

export {};
