import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import { isDataset, type DataSource, type DatasetBatch, type TensorData } from '../data/data-source';

const shapesOf = (x: tf.Tensor | tf.Tensor[]): number[][] => (Array.isArray(x) ? x : [x]).map((t) => t.shape.slice(1));

/**
 * The example shapes (no batch axis, one per model input) of the first data source that has any:
 * tensors are read directly; a dataset gives its first element (drawn, read and disposed).
 * Returns `null` when no source yields an element. Internal: the loop measures a model whose
 * input size is not fixed at the size of its data.
 */
export async function exampleShapeOf(sources: ReadonlyArray<DataSource | undefined>, where: string): Promise<number[][] | null> {
  for (const source of sources) {
    if (source === undefined) continue;
    if (!isDataset(source)) return shapesOf((source as TensorData).x);
    let element: DatasetBatch | undefined;
    try {
      const it = await source.take(1).iterator();
      element = (await it.next()).value as DatasetBatch | undefined;
    } catch (e) {
      throw new PruneError('INVALID_DATA', `${where}: the first element of a dataset could not be read to find the input size (${e instanceof Error ? e.message : String(e)}); pass options.inputShape.`);
    }
    if (element === undefined || element === null || typeof element !== 'object' || !('xs' in element)) continue;
    try {
      return shapesOf(element.xs);
    } finally {
      tf.dispose(element as unknown as tf.TensorContainer);
    }
  }
  return null;
}
