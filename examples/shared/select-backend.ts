/**
 * Picks the fastest TF.js backend this host can train on, for examples and benchmarks (the
 * library itself never picks a backend): `tensorflow` from @tensorflow/tfjs-node when it is
 * installed, else `wasm` with tfjs-prune's training kernels, else the pure-JS `cpu` backend.
 */
import * as tf from '@tensorflow/tfjs';
import { enableWasmTraining } from '../../src/wasm';

/** A backend `selectBackend` can choose. */
export type ExampleBackend = 'tensorflow' | 'wasm' | 'cpu';

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /**
   * Use this backend instead of the first that works (`'auto'`); it must be available.
   * Default: `process.env.TFJS_PRUNE_BACKEND` if set, else `'auto'`.
   */
  backend?: ExampleBackend | 'auto';
  /** Where the one-line report goes; `null` for silence. Default: `console.log`. */
  log?: ((line: string) => void) | null;
}

/** What {@link selectBackend} chose and why. */
export interface BackendChoice {
  /** The active TF.js backend. */
  backend: ExampleBackend;
  /** One line on the choice, also passed to `log`. */
  reason: string;
}

/**
 * Imports a module that may be absent (by a name bundlers and tsc do not resolve statically).
 * Returns `null` on success, else why it failed.
 */
async function importOptional(name: string): Promise<string | null> {
  try {
    await import(name);
    return null;
  } catch (e) {
    const code = (e as { code?: string }).code;
    const missing = code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
    return missing ? `${name} is not installed` : `${name} failed to load: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** Each attempt activates its backend and returns why it was chosen, or throws why not. */
async function tryTensorflow(): Promise<string> {
  const failure = await importOptional('@tensorflow/tfjs-node');
  if (failure !== null) throw new Error(failure);
  if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend did not start');
  return 'native TensorFlow from @tensorflow/tfjs-node';
}

async function tryWasm(whyNotTensorflow: string): Promise<string> {
  const failure = await importOptional('@tensorflow/tfjs-backend-wasm');
  if (failure !== null) throw new Error(failure);
  const { added, replaced } = enableWasmTraining();
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return (
    `WebAssembly/XNNPACK, ${simd ? 'SIMD' : 'no SIMD'}, ${added.length + replaced.length} training kernels ` +
    `from tfjs-prune/wasm; ${whyNotTensorflow}`
  );
}

/**
 * Activates the fastest backend for training available here and says which it chose.
 *
 * @example
 * ```ts
 * import { selectBackend } from './shared/select-backend';
 * const { backend } = await selectBackend(); // logs e.g. "TF.js backend: wasm (...)"
 * ```
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const wanted = options.backend ?? (process.env.TFJS_PRUNE_BACKEND as ExampleBackend | undefined) ?? 'auto';
  const log = options.log === undefined ? (line: string) => console.log(line) : options.log;
  const whyNot: string[] = [];
  const attempts: Array<[ExampleBackend, () => Promise<string>]> = [
    ['tensorflow', tryTensorflow],
    ['wasm', () => tryWasm(whyNot[0] ?? 'asked for wasm')],
    ['cpu', async () => `pure JavaScript, slow to train; ${whyNot.join('; ') || 'asked for cpu'}`],
  ];
  for (const [backend, attempt] of attempts) {
    if (wanted !== 'auto' && wanted !== backend) continue;
    let reason: string;
    try {
      reason = await attempt();
      if (backend === 'cpu' && !(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not start');
    } catch (e) {
      whyNot.push((e as Error).message);
      continue;
    }
    await tf.ready();
    const choice = { backend, reason: `TF.js backend: ${backend} (${reason})` };
    log?.(choice.reason);
    return choice;
  }
  throw new Error(`TF.js backend '${wanted}' is not available here (${whyNot.join('; ')}); use 'auto', 'wasm' or 'cpu'.`);
}
