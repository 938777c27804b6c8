import type * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';

/**
 * The shape of ONE example (no batch axis) to measure a model at, for models whose input size is
 * not fixed (an input of `[null, null, null, 3]`): `[64, 64, 3]` for a single-input model, or one
 * shape per model input (`[[64, 64, 3], [10]]`). Dimensions the model fixes must be given with
 * the same size.
 *
 * @example
 * ```ts
 * const at: InputShape = [128, 128, 3];
 * const { total } = countFlops(model, { inputShape: at });
 * ```
 */
export type InputShape = readonly number[] | ReadonlyArray<readonly number[]>;

/** Whether an input of the model has an unknown size beyond the batch axis. */
export function hasDynamicInput(model: tf.LayersModel): boolean {
  return model.inputs.some((t) => t.shape.slice(1).some((d) => d === null || d === undefined));
}

const show = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

/**
 * Checks an {@link InputShape} against the model's inputs and returns one example shape per
 * input (no batch axis). Throws `INVALID_OPTION` saying what to fix.
 */
export function resolveInputShape(model: tf.LayersModel, value: unknown, where: string): number[][] {
  const example = model.inputs.map((t) => `[${t.shape.slice(1).map((d) => (d === null || d === undefined ? 64 : d)).join(', ')}]`);
  const hint = model.inputs.length === 1 ? `e.g. inputShape: ${example[0]}` : `one shape per input, e.g. inputShape: [${example.join(', ')}]`;
  if (!Array.isArray(value) || value.length === 0) {
    throw new PruneError('INVALID_OPTION', `${where}: inputShape must be the shape of one example without the batch axis (${hint}); got ${show(value)}.`);
  }
  const nested = Array.isArray(value[0]);
  const list = (nested ? value : [value]) as unknown[];
  if (list.length !== model.inputs.length) {
    throw new PruneError(
      'INVALID_OPTION',
      `${where}: inputShape gives ${list.length} shape(s) but model '${model.name}' has ${model.inputs.length} input(s); give ${hint}.`,
    );
  }
  return list.map((shape, i) => {
    const input = model.inputs[i];
    const want = input.shape.slice(1);
    const dims = Array.isArray(shape) ? shape : [];
    const ok =
      Array.isArray(shape) &&
      dims.length === want.length &&
      dims.every((d, j) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 1 && (want[j] === null || want[j] === undefined || want[j] === d));
    if (!ok) {
      throw new PruneError(
        'INVALID_OPTION',
        `${where}: inputShape ${show(shape)} does not fit model input '${input.name}' of shape ${show(input.shape)}: ` +
          `expected ${want.length} positive whole sizes (no batch axis) that keep the sizes the model fixes; ${hint}.`,
      );
    }
    return [...(dims as number[])];
  });
}
