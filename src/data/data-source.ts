import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import { noExamples } from './assert-data-not-empty';
import { checkLabelShapes } from './check-label-shapes';
import type { LossSpec } from './per-example-loss';

/**
 * Examples as tensors: inputs `x` (one tensor per model input) and, where a loss is needed, the
 * labels `y` (one tensor per model output). The first axis is the example axis.
 *
 * @example
 * ```ts
 * const data: TensorData = { x: xTest, y: yTest };
 * ```
 */
export interface TensorData {
  x: tf.Tensor | tf.Tensor[];
  y?: tf.Tensor | tf.Tensor[];
}

/**
 * One element of a batched `tf.data.Dataset`, as `model.fitDataset` takes it.
 *
 * @example
 * ```ts
 * // Batches of 64 examples built from tensors (each element is one batch):
 * const ds = tf.data.zip<DatasetBatch>({ xs: tf.data.array(xTrain.unstack()), ys: tf.data.array(yTrain.unstack()) }).batch(64);
 * ```
 */
export type DatasetBatch = {
  xs: tf.Tensor | tf.Tensor[];
  ys?: tf.Tensor | tf.Tensor[];
};

/**
 * Data given to the library: tensors, or a batched `tf.data.Dataset` of `{ xs, ys }` elements
 * (each element is one batch, as for `model.fitDataset`). The library never disposes the tensors
 * you pass; it disposes the elements it draws from a dataset.
 *
 * @example
 * ```ts
 * await scoreGroups(model, criteria.taylor(), { data: { x: xVal, y: yVal }, loss: 'categoricalCrossentropy' });
 * await scoreGroups(model, criteria.taylor(), { data: valDataset });
 * ```
 */
export type DataSource = TensorData | tf.data.Dataset<DatasetBatch>;

/** One batch drawn from a {@link DataSource}; the receiver disposes it with `disposeBatch`. */
export interface Batch {
  x: tf.Tensor[];
  y: tf.Tensor[] | null;
  size: number;
  /** Whether the tensors belong to this batch (true for slices and dataset elements). */
  owned: boolean;
}

const asList = (t: tf.Tensor | tf.Tensor[] | undefined): tf.Tensor[] | undefined => (t === undefined ? undefined : Array.isArray(t) ? t : [t]);

const isTensor = (t: unknown): t is tf.Tensor => t instanceof tf.Tensor || (typeof t === 'object' && t !== null && typeof (t as tf.Tensor).dataSync === 'function' && Array.isArray((t as tf.Tensor).shape));

/** Whether `data` is a tf.data.Dataset (duck-typed, so another TF.js copy works too). */
export function isDataset(data: unknown): data is tf.data.Dataset<DatasetBatch> {
  return typeof data === 'object' && data !== null && typeof (data as tf.data.Dataset<DatasetBatch>).iterator === 'function' && typeof (data as tf.data.Dataset<DatasetBatch>).batch === 'function';
}

/**
 * The loss that will read a data source's labels (`loss: undefined`: the model's compiled loss),
 * so their shapes are checked against the model's outputs; leave it out where labels are not read.
 */
export interface LabelUse {
  loss: LossSpec | LossSpec[] | undefined;
}

const fmt = (shape: ReadonlyArray<number | null>): string => `[${shape.map((d) => (d === null ? 'batch' : d)).join(', ')}]`;

/**
 * Checks tensors against the model: one input tensor per model input, shapes matching the model's
 * input shapes (the batch axis aside); labels, when present or `labelsRequired`, one per output
 * with the batch size of the inputs, and with the shape `labels.loss` takes. Throws a PruneError
 * saying what to fix.
 */
export function checkBatch(model: tf.LayersModel, x: tf.Tensor[], y: tf.Tensor[] | undefined, where: string, labelsRequired: boolean, labels?: LabelUse): void {
  const inputs = model.inputs;
  if (x.length !== inputs.length || !x.every(isTensor)) {
    throw new PruneError('DATA_MISMATCH', `${where}: model '${model.name}' has ${inputs.length} input(s) but x holds ${x.length} tensor(s); give one tensor per model input, in order.`);
  }
  const n = x[0].shape[0];
  x.forEach((t, i) => {
    const want = inputs[i].shape;
    const ok = t.rank === want.length && want.every((d, j) => j === 0 || d === null || d === t.shape[j]);
    if (!ok) {
      throw new PruneError(
        'DATA_MISMATCH',
        `${where}: x${x.length > 1 ? `[${i}]` : ''} has shape [${t.shape.join(', ')}], but model input '${inputs[i].name}' expects ${fmt(want)}. Reshape the data to the model's input shape.`,
      );
    }
    if (t.shape[0] !== n) throw new PruneError('DATA_MISMATCH', `${where}: the input tensors have different numbers of examples (${n} and ${t.shape[0]}).`);
  });
  if (y === undefined) {
    if (labelsRequired) {
      throw new PruneError('MISSING_DATA', `${where}: labels are needed (a loss is computed) but the data has no \`y\` (or \`ys\`); give one label tensor per model output.`);
    }
    return;
  }
  if (y.length !== model.outputs.length || !y.every(isTensor)) {
    throw new PruneError('DATA_MISMATCH', `${where}: model '${model.name}' has ${model.outputs.length} output(s) but y holds ${y.length} tensor(s); give one label tensor per output, in order.`);
  }
  y.forEach((t, i) => {
    if (t.shape[0] !== n) {
      throw new PruneError('DATA_MISMATCH', `${where}: y${y.length > 1 ? `[${i}]` : ''} has ${t.shape[0]} examples but x has ${n}; inputs and labels must have the same first dimension.`);
    }
  });
  if (labels !== undefined) checkLabelShapes(model, y, labels.loss, where);
}

/** Validates a data source up front (tensors fully; a dataset by its type only). */
export function checkDataSource(model: tf.LayersModel, data: unknown, where: string, labelsRequired: boolean, labels?: LabelUse): asserts data is DataSource {
  if (isDataset(data)) return;
  if (typeof data !== 'object' || data === null || !('x' in data)) {
    throw new PruneError(
      'INVALID_OPTION',
      `${where} must be { x, y } tensors or a batched tf.data.Dataset of { xs, ys }; got ${data === null ? 'null' : typeof data === 'object' ? `an object with keys ${Object.keys(data).join(', ') || '(none)'}` : typeof data}.`,
    );
  }
  const d = data as TensorData;
  const x = asList(d.x)!;
  checkBatch(model, x, asList(d.y), where, labelsRequired, labels);
  if (x[0].shape[0] === 0) throw new PruneError('MISSING_DATA', noExamples(where, `x has 0 rows along its first axis`));
  assertFinite(x, 'x', where);
  const y = asList(d.y);
  if (y !== undefined) assertFinite(y, 'y', where);
}

/** Throws INVALID_DATA naming the first example of a float tensor that holds NaN or an infinity. */
function assertFinite(tensors: tf.Tensor[], name: string, where: string): void {
  tensors.forEach((t, i) => {
    if (t.dtype !== 'float32') return;
    const example = tf.tidy(() => {
      const ok = t.isFinite().reshape([t.shape[0], -1]).all(1);
      return ok.all().dataSync()[0] === 1 ? -1 : ok.argMin().dataSync()[0];
    });
    if (example < 0) return;
    const label = `${name}${tensors.length > 1 ? `[${i}]` : ''}`;
    throw new PruneError(
      'INVALID_DATA',
      `${where}: ${label} holds NaN or infinite values (first in example ${example}), which would make every loss, score and BatchNorm statistic NaN. ` +
        'Clean the data before pruning: replace missing values, and check the normalisation (a division by a zero standard deviation gives NaN).',
    );
  });
}

/**
 * Iterates a data source in batches: tensors are cut into slices of `batchSize` examples; a
 * dataset yields its own elements (already batched). The caller disposes each batch with
 * {@link disposeBatch}.
 */
export async function* batchesOf(model: tf.LayersModel, data: DataSource, batchSize: number, where: string, labelsRequired: boolean, labels?: LabelUse): AsyncGenerator<Batch> {
  if (isDataset(data)) {
    const it = await data.iterator();
    for (;;) {
      const { value, done } = await it.next();
      if (done) return;
      const element = value as DatasetBatch | undefined;
      if (typeof element !== 'object' || element === null || !('xs' in element)) {
        tf.dispose(element as tf.TensorContainer);
        throw new PruneError('DATA_MISMATCH', `${where}: dataset elements must be { xs, ys } objects (batched, as for model.fitDataset); got ${element === null ? 'null' : typeof element}.`);
      }
      const x = asList(element.xs)!;
      const y = asList(element.ys);
      try {
        checkBatch(model, x, y, where, labelsRequired, labels);
      } catch (e) {
        tf.dispose([...x, ...(y ?? [])]);
        throw e;
      }
      yield { x, y: y ?? null, size: x[0].shape[0], owned: true };
    }
  }
  const x = asList(data.x)!;
  const y = asList(data.y);
  const n = x[0].shape[0];
  if (n <= batchSize) {
    yield { x, y: y ?? null, size: n, owned: false };
    return;
  }
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const cut = (t: tf.Tensor): tf.Tensor => t.slice(start, size);
    yield { x: x.map(cut), y: y ? y.map(cut) : null, size, owned: true };
  }
}

/** Disposes a batch's tensors if they belong to it. */
export function disposeBatch(batch: Batch): void {
  if (batch.owned) tf.dispose([...batch.x, ...(batch.y ?? [])]);
}
