/**
 * Picks the TF.js backend the browser example trains on: WebGL where the browser has it on a GPU,
 * else WebAssembly (with tfjs-prune's training kernels), else the pure-JS cpu backend; or the one
 * the page's `?backend=` parameter asks for.
 *
 * WebGL rendered in software (SwiftShader, as in headless Chromium without a GPU) is skipped in
 * automatic mode: it trains the example's CNN about 20 times slower than wasm on the same CPU.
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm'; // importing it registers 'wasm'
import { enableWasmTraining } from '../../src/wasm';

/** A backend the page can run on. */
export type BrowserBackend = 'webgl' | 'wasm' | 'cpu';

/** What {@link selectBrowserBackend} chose, and a one-line description for the page. */
export interface BrowserBackendChoice {
  backend: BrowserBackend;
  /**
   * E.g. `wasm (WebAssembly, SIMD, threaded build: 2 threads of 4 logical cores, 11 training kernels
   * from tfjs-prune/wasm; no WebGL)`.
   */
  detail: string;
  /** wasm only: threads of the backend's pool (`getThreadsCount()` of tfjs-backend-wasm). */
  threads?: number;
  /** wasm only: whether TF.js loaded its threaded build (the page must be cross-origin isolated). */
  threadedBuild?: boolean;
}

const BACKENDS: readonly BrowserBackend[] = ['webgl', 'wasm', 'cpu'];

/**
 * Reads the `backend` query parameter: `null` (absent) means automatic. Throws a readable error
 * for any other value.
 *
 * @example
 * ```ts
 * const requested = parseBackendParam(new URLSearchParams(location.search).get('backend'));
 * ```
 */
export function parseBackendParam(value: string | null): BrowserBackend | 'auto' {
  if (value === null || value === '' || value === 'auto') return 'auto';
  if ((BACKENDS as readonly string[]).includes(value)) return value as BrowserBackend;
  throw new Error(`Unknown backend "${value}" in the page address: use ?backend=webgl, ?backend=wasm or ?backend=cpu (or none for automatic).`);
}

/** The WebGL renderer's name (e.g. "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device ...))"), when the browser says. */
function webglRenderer(): string {
  const canvas = document.createElement('canvas');
  const gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl');
  if (gl === null) return 'unknown renderer';
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = info === null ? gl.getParameter(gl.RENDERER) : gl.getParameter(info.UNMASKED_RENDERER_WEBGL);
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return String(name);
}

/** Renderer names of software WebGL implementations. */
const SOFTWARE_RENDERERS = /SwiftShader|llvmpipe|softpipe|Software|Basic Render Driver/i;

/**
 * Whether the browser has WebGL, and whether only in software: a context asked for with
 * `failIfMajorPerformanceCaveat` is refused by some browsers when the renderer is software, and
 * the renderer's name tells the others (headless Chromium grants it on SwiftShader).
 */
function webglSupport(): 'none' | 'software' | 'gpu' {
  const probe = (failIfMajorPerformanceCaveat: boolean): boolean => {
    const canvas = document.createElement('canvas');
    const gl = canvas.getContext('webgl2', { failIfMajorPerformanceCaveat }) ?? canvas.getContext('webgl', { failIfMajorPerformanceCaveat });
    gl?.getExtension('WEBGL_lose_context')?.loseContext();
    return gl !== null;
  };
  if (!probe(false)) return 'none';
  return probe(true) && !SOFTWARE_RENDERERS.test(webglRenderer()) ? 'gpu' : 'software';
}

async function tryWebgl(): Promise<BrowserBackendChoice | null> {
  if (!(await tf.setBackend('webgl'))) return null;
  await tf.ready();
  return { backend: 'webgl', detail: `webgl (${webglRenderer()}, WebGL ${tf.env().getNumber('WEBGL_VERSION')})` };
}

async function tryWasm(wasmDirectory: string, why: string): Promise<BrowserBackendChoice | null> {
  setWasmPaths(wasmDirectory);
  const { added, replaced } = enableWasmTraining();
  if (!(await tf.setBackend('wasm'))) return null;
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  // TF.js loads its threaded build only on a cross-origin isolated page (COOP/COEP headers, see
  // static-server.ts), and sizes the pool to half the logical cores, at most 8.
  const threadedBuild = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
  const threads = getThreadsCount();
  const cores = navigator.hardwareConcurrency;
  const build = threadedBuild
    ? `threaded build: ${threads} thread${threads === 1 ? '' : 's'} of ${cores} logical cores`
    : `single-threaded build (${self.crossOriginIsolated ? 'no threads in this browser' : 'the page is not cross-origin isolated'})`;
  const kernels = added.length + replaced.length;
  return {
    backend: 'wasm',
    detail: `wasm (WebAssembly, ${simd ? 'SIMD' : 'no SIMD'}, ${build}, ${kernels} training kernels from tfjs-prune/wasm${why})`,
    threads,
    threadedBuild,
  };
}

/**
 * Activates a backend and says which. `'auto'` tries WebGL, then wasm, then cpu; a named backend
 * must work, else this throws (the page shows the message).
 *
 * @param requested `'auto'` or the backend to use.
 * @param wasmDirectory URL of the directory serving the three `.wasm` files of
 *   `@tensorflow/tfjs-backend-wasm`, ending with '/'.
 *
 * @example
 * ```ts
 * const { backend, detail } = await selectBrowserBackend('auto', new URL('tfjs-wasm/', location.href).href);
 * ```
 */
export async function selectBrowserBackend(requested: BrowserBackend | 'auto', wasmDirectory: string): Promise<BrowserBackendChoice> {
  if (requested === 'auto') {
    const support = webglSupport();
    const webgl = support === 'gpu' ? await tryWebgl() : null;
    if (webgl !== null) return webgl;
    const why =
      support === 'software'
        ? `; WebGL here is software-rendered (${webglRenderer()}), much slower: ?backend=webgl forces it`
        : support === 'gpu'
          ? '; the webgl backend failed to start'
          : '; this browser has no WebGL';
    const wasm = await tryWasm(wasmDirectory, why);
    if (wasm !== null) return wasm;
    await tf.setBackend('cpu');
    return { backend: 'cpu', detail: 'cpu (pure JavaScript: neither WebGL nor WebAssembly worked here; slow)' };
  }
  const choice =
    requested === 'webgl' ? await tryWebgl() : requested === 'wasm' ? await tryWasm(wasmDirectory, '; asked for by ?backend=wasm') : null;
  if (choice !== null) return choice;
  if (requested === 'cpu' && (await tf.setBackend('cpu'))) return { backend: 'cpu', detail: 'cpu (pure JavaScript, asked for by ?backend=cpu; slow)' };
  throw new Error(`The ${requested} backend could not be started in this browser (asked for by ?backend=${requested}); see the console for TF.js's reason, or try another backend.`);
}
