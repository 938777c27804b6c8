import type * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import type { LossSpec } from './per-example-loss';

/** Built-in loss names (camelCase or snake_case) whose labels are class indices. */
const SPARSE = 'sparsecategoricalcrossentropy';
/** Built-in loss names whose labels have the output's shape. */
const SAME_SHAPE = new Set(['categoricalcrossentropy', 'binarycrossentropy', 'meansquarederror', 'meanabsoluteerror', 'mse', 'mae']);

const fmt = (shape: ReadonlyArray<number | null>): string => `[${shape.map((d) => (d === null ? 'batch' : d)).join(', ')}]`;

/** The loss spec of each output: the given one, else the model's compiled one (undefined: none). */
function lossPerOutput(model: tf.LayersModel, loss: LossSpec | LossSpec[] | undefined): unknown[] {
  const spec: unknown = loss ?? (model as unknown as { loss?: unknown }).loss;
  const n = model.outputs.length;
  if (spec === undefined || spec === null) return new Array(n).fill(undefined);
  if (Array.isArray(spec)) return spec;
  if (typeof spec === 'object') return model.outputNames.map((name) => (spec as Record<string, unknown>)[name]);
  return new Array(n).fill(spec);
}

/** Whether `label` (non-batch axes) equals `want` (non-batch axes; null fits any size). */
function fits(label: readonly number[], want: ReadonlyArray<number | null>): boolean {
  return label.length === want.length && want.every((d, j) => j === 0 || d === null || d === label[j]);
}

/**
 * Checks label tensors against the model's outputs for the loss that will read them: a built-in
 * loss on class indices (`sparseCategoricalCrossentropy`) takes labels of the output's shape
 * without its last axis (or with a last axis of 1); every other built-in takes labels of the
 * output's shape (one-hot for `categoricalCrossentropy`). A custom loss function, an unknown name
 * (refused elsewhere) or no loss at all is not checked here. Throws `DATA_MISMATCH` saying which
 * shape was expected and how to get it.
 *
 * @example
 * ```ts
 * checkLabelShapes(model, [yVal], 'categoricalCrossentropy', 'scoreGroups: data'); // y [64, 4] for a 4-class model
 * ```
 */
export function checkLabelShapes(model: tf.LayersModel, y: readonly tf.Tensor[], loss: LossSpec | LossSpec[] | undefined, where: string): void {
  const specs = lossPerOutput(model, loss);
  y.forEach((t, i) => {
    const spec = specs[i];
    if (typeof spec !== 'string') return;
    const name = spec.replace(/_/g, '').toLowerCase();
    const out = model.outputs[i].shape;
    const label = `y${y.length > 1 ? `[${i}]` : ''}`;
    const n = t.shape[0];
    const concrete = (shape: ReadonlyArray<number | null>): string => fmt([n, ...shape.slice(1)]);
    if (name === SPARSE) {
      const indices = out.slice(0, -1);
      if (fits(t.shape, indices) || fits(t.shape, [...indices, 1])) return;
      throw new PruneError(
        'DATA_MISMATCH',
        `${where}: ${label} has shape [${t.shape.join(', ')}], but the loss '${spec}' takes class indices of shape ${concrete(indices)} for output '${model.outputNames[i]}' (${fmt(out)}). ` +
          `Give class indices (y.argMax(-1) of one-hot labels), or use the loss 'categoricalCrossentropy' for one-hot labels.`,
      );
    }
    if (!SAME_SHAPE.has(name) || fits(t.shape, out)) return;
    const classes = out[out.length - 1];
    const hint =
      name === 'categoricalcrossentropy'
        ? ` Give one-hot labels of shape ${concrete(out)} (tf.oneHot(indices, ${classes})), or use the loss 'sparseCategoricalCrossentropy' for class indices of shape ${concrete(out.slice(0, -1))}.`
        : ` Give labels of shape ${concrete(out)}.`;
    throw new PruneError(
      'DATA_MISMATCH',
      `${where}: ${label} has shape [${t.shape.join(', ')}], but output '${model.outputNames[i]}' of model '${model.name}' gives ${fmt(out)} and the loss '${spec}' needs labels of that shape.${hint}`,
    );
  });
}
