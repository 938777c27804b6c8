import * as tf from '@tensorflow/tfjs';

/**
 * Mean kernel time per kernel name (ms per `predict` call) of `model` on a seeded input of
 * `batchSize` examples, from `tf.profile` over `runs` calls after one untimed call. The op-level
 * wrappers that `tf.profile` also lists (`fusedConv2d__op`...) are left out so nothing is counted
 * twice. On synchronous backends (cpu, wasm) kernel times are wall-clock.
 *
 * @example
 * ```ts
 * const perKernel = await kernelProfile(model, 32, 3);
 * console.log(perKernel.FusedBatchNorm); // ms spent in batch norm per predict
 * ```
 */
export async function kernelProfile(model: tf.LayersModel, batchSize: number, runs: number): Promise<Record<string, number>> {
  const shape = [batchSize, ...(model.inputs[0].shape.slice(1) as number[])];
  const x = tf.randomNormal(shape, 0, 1, 'float32', 7);
  const totals: Record<string, number> = {};
  try {
    tf.dispose(model.predict(x));
    for (let r = 0; r < runs; r++) {
      const info = await tf.profile(() => {
        const y = model.predict(x) as tf.Tensor;
        y.dataSync();
        return y;
      });
      tf.dispose(info.result);
      for (const k of info.kernels) {
        if (k.name.endsWith('__op')) continue;
        totals[k.name] = (totals[k.name] ?? 0) + Number(k.kernelTimeMs) / runs;
      }
    }
  } finally {
    x.dispose();
  }
  return totals;
}
