import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import { isDataset, type DataSource } from './data-source';

/**
 * Refuses a `tf.data.Dataset` that yields no element, before any work is done with it: draws its
 * first element (and disposes it) from a new iterator. Tensor data is checked by
 * `checkDataSource` (no example is refused there). A dataset that can be iterated only once is
 * consumed by this probe: pass tensors, or a dataset that starts over at every `iterator()` call
 * (as `tf.data.array`, `tf.data.generator` and their transformations do).
 *
 * @example
 * ```ts
 * await assertDataNotEmpty(valDataset, 'pruneIteratively: data.validation'); // MISSING_DATA when empty
 * ```
 */
export async function assertDataNotEmpty(data: DataSource | undefined, where: string): Promise<void> {
  if (data === undefined || !isDataset(data)) return;
  const iterator = await data.iterator();
  const first = await iterator.next();
  if (!first.done) {
    tf.dispose(first.value as tf.TensorContainer);
    return;
  }
  throw new PruneError('MISSING_DATA', noExamples(where, 'the dataset yielded no element'));
}

/**
 * The message of data without any example: what happened, and how to fix it.
 *
 * @example
 * ```ts
 * throw new PruneError('MISSING_DATA', noExamples('scoreGroups: data', 'the dataset yielded only empty batches'));
 * ```
 */
export function noExamples(where: string, what: string): string {
  return (
    `${where}: the data holds no examples (${what}), so nothing can be computed from it. ` +
    'Give at least one example: tensors { x, y } with rows, or a non-empty batched tf.data.Dataset of { xs, ys } ' +
    '(check .filter(), .skip() or .take() upstream).'
  );
}
