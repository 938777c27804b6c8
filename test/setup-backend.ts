/**
 * Selects the TF.js backend the whole suite runs on. `TFJS_PRUNE_BACKEND=cpu npm test` runs it
 * on the pure-JS cpu backend; the default is `cpu` until wasm training lands (issue 3).
 */
import * as tf from '@tensorflow/tfjs';

const wanted = process.env.TFJS_PRUNE_BACKEND ?? 'cpu';

beforeAll(async () => {
  const ok = await tf.setBackend(wanted);
  if (!ok) throw new Error(`TFJS_PRUNE_BACKEND=${wanted}: backend could not be initialised`);
  await tf.ready();
});
