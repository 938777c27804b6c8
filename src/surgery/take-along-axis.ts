/** A tensor's values on the host, row-major. */
export interface HostArray {
  readonly values: Float32Array | Int32Array | Uint8Array;
  readonly shape: number[];
}

/**
 * Keeps the entries `indices` (in order) along `axis`, on the host.
 *
 * Surgery slices weights on the host rather than with `tf.gather` because the result must be a
 * tensor whose storage has exactly its shape on every backend: the wasm backend's gather returns
 * a reshaped view whose storage keeps a rank-4 shape, which its fused kernels then reject as a bias.
 */
export function takeAlongAxis(a: HostArray, indices: Int32Array, axis: number): HostArray {
  const { values, shape } = a;
  const outer = shape.slice(0, axis).reduce((x, y) => x * y, 1);
  const inner = shape.slice(axis + 1).reduce((x, y) => x * y, 1);
  const n = shape[axis];
  const Ctor = values.constructor as new (length: number) => HostArray['values'];
  const out = new Ctor(outer * indices.length * inner);
  let o = 0;
  for (let i = 0; i < outer; i++) {
    const base = i * n * inner;
    for (const k of indices) {
      const start = base + k * inner;
      out.set(values.subarray(start, start + inner), o);
      o += inner;
    }
  }
  const outShape = shape.slice();
  outShape[axis] = indices.length;
  return { values: out, shape: outShape };
}
