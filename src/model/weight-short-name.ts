/**
 * Short name of a layer weight, without the layer prefix and the uniquifying suffix TF.js adds:
 * `conv2d_1/kernel` -> `kernel`, `dense/bias_3` -> `bias`.
 *
 * @example
 * ```ts
 * const names = layer.weights.map(weightShortName); // ['kernel', 'bias']
 * ```
 */
export function weightShortName(w: { originalName?: string; name: string }): string {
  const full = w.originalName ?? w.name;
  return full.slice(full.lastIndexOf('/') + 1).replace(/_\d+$/, '');
}
