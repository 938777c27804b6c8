import * as tf from '@tensorflow/tfjs';
import { checkBatch, isDataset, type DataSource, type DatasetBatch, type LabelUse, type TensorData } from '../data/data-source';
import { PruneError } from '../errors';
import { seededRandom } from '../util/seeded-random';

/** Where a training stream is: epoch and minibatches drawn in it. JSON, for checkpoints. */
export interface StreamPosition {
  epoch: number;
  offset: number;
}

/** One training minibatch; the receiver disposes it. */
export interface TrainingBatch {
  x: tf.Tensor[];
  y: tf.Tensor[] | null;
  size: number;
}

/**
 * An endless stream of training minibatches, resumable from a position: tensor data is visited in
 * a new seeded order every epoch (the order depends only on the seed and the epoch); a dataset is
 * read in its own order, restarted at its end (a resumed run skips the elements already drawn).
 */
export class TrainingStream {
  private position: StreamPosition;
  private order: Int32Array | null = null;
  private orderEpoch = -1;
  private iterator: Awaited<ReturnType<tf.data.Dataset<DatasetBatch>['iterator']>> | null = null;
  /** Minibatches per epoch of tensor data; `null` for a dataset (its length is not known). */
  readonly batchesPerEpoch: number | null;

  constructor(
    private readonly model: tf.LayersModel,
    private readonly data: DataSource,
    private readonly batchSize: number,
    private readonly seed: number,
    private readonly labelsRequired: boolean,
    start: StreamPosition = { epoch: 0, offset: 0 },
    /** The loss the labels are trained with, to check their shapes (dataset elements). */
    private readonly labelUse?: LabelUse,
  ) {
    this.position = { ...start };
    this.batchesPerEpoch = isDataset(data) ? null : Math.ceil(this.examples() / batchSize);
  }

  private examples(): number {
    const x = (this.data as TensorData).x;
    return (Array.isArray(x) ? x[0] : x).shape[0];
  }

  /** Where the next minibatch comes from. */
  where(): StreamPosition {
    return { ...this.position };
  }

  private orderOf(epoch: number): Int32Array {
    if (this.orderEpoch !== epoch || this.order === null) {
      const n = this.examples();
      const random = seededRandom((this.seed * 1_000_003 + epoch * 7919) >>> 0);
      const order = Int32Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      this.order = order;
      this.orderEpoch = epoch;
    }
    return this.order;
  }

  /**
   * The next minibatch (owned by the caller). With `untilEpoch`, returns `null` instead of starting
   * epoch `untilEpoch` (the stream then stands at its beginning).
   */
  async next(untilEpoch?: number): Promise<TrainingBatch | null> {
    if (isDataset(this.data)) return this.nextFromDataset(untilEpoch);
    const { x, y } = this.data as TensorData;
    const xs = Array.isArray(x) ? x : [x];
    const ys = y === undefined ? null : Array.isArray(y) ? y : [y];
    const n = this.examples();
    const perEpoch = this.batchesPerEpoch as number;
    if (this.position.offset >= perEpoch) this.position = { epoch: this.position.epoch + 1, offset: 0 };
    if (untilEpoch !== undefined && this.position.epoch >= untilEpoch) return null;
    const order = this.orderOf(this.position.epoch);
    const start = this.position.offset * this.batchSize;
    const indices = order.subarray(start, Math.min(n, start + this.batchSize));
    this.position = { epoch: this.position.epoch, offset: this.position.offset + 1 };
    const idx = tf.tensor1d(indices, 'int32');
    try {
      return { x: xs.map((t) => tf.gather(t, idx)), y: ys ? ys.map((t) => tf.gather(t, idx)) : null, size: indices.length };
    } finally {
      idx.dispose();
    }
  }

  private async nextFromDataset(untilEpoch?: number): Promise<TrainingBatch | null> {
    const dataset = this.data as tf.data.Dataset<DatasetBatch>;
    if (untilEpoch !== undefined && this.position.epoch >= untilEpoch) return null;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (this.iterator === null) {
        this.iterator = await dataset.iterator();
        // Resuming: skip what an earlier run already drew in this epoch.
        for (let i = 0; i < this.position.offset; i++) {
          const skipped = await this.iterator.next();
          if (skipped.done) break;
          tf.dispose(skipped.value as tf.TensorContainer);
        }
      }
      const { value, done } = await this.iterator.next();
      if (!done) {
        const element = value as DatasetBatch;
        const x = Array.isArray(element.xs) ? element.xs : [element.xs];
        const y = element.ys === undefined ? undefined : Array.isArray(element.ys) ? element.ys : [element.ys];
        try {
          checkBatch(this.model, x, y, 'data.train', this.labelsRequired, this.labelUse);
        } catch (e) {
          tf.dispose(element as unknown as tf.TensorContainer);
          throw e;
        }
        this.position = { epoch: this.position.epoch, offset: this.position.offset + 1 };
        return { x, y: y ?? null, size: x[0].shape[0] };
      }
      this.iterator = null;
      this.position = { epoch: this.position.epoch + 1, offset: 0 };
      if (untilEpoch !== undefined && this.position.epoch >= untilEpoch) return null;
    }
    throw new PruneError('MISSING_DATA', 'data.train: the training dataset yielded no element; give a non-empty, batched tf.data.Dataset.');
  }
}
