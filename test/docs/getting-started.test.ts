/**
 * Runs THE 10-line example of docs/getting-started.md: the first ```ts block under the heading
 * "## The 10-line example" is read from the markdown, transpiled to CommonJS with TypeScript's
 * `transpileModule`, and run as the body of an async function (so its top-level `await` works),
 * with its imports mapped to the source ('tfjs-prune' -> src/index, 'tfjs-prune/node' ->
 * src/node/index) and the free names a reader's program already has (test/docs/doc-globals.d.ts:
 * `model`, `xTrain`, `yTrain`, `xVal`, `yVal`) given as arguments: a small CNN trained here on
 * 1,200 real digits of the `mnist` package, 400 more to validate. The block runs with the working
 * directory in a temporary directory, so its `saveModelDirectory(pruned, 'out/pruned')` writes
 * there. `PRINT_GETTING_STARTED=1` also prints what the block printed (to refresh the ```text
 * block of the page).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ts from 'typescript';
import { loadMnist } from '../../examples/data/mnist';
import { countFlops, countParams } from '../../src/index';
import { loadModelDirectory } from '../../src/node/index';
import { markdownBlocks } from './markdown-blocks';

// About 40 s on an idle 2-core machine; generous for shared, loaded CI hosts.
jest.setTimeout(300000);

const PAGE = path.join(__dirname, '..', '..', 'docs', 'getting-started.md');
const HEADING = '## The 10-line example';

/** The first fenced block of `lang` after `heading` in `markdown`. */
function blockAfter(markdown: string, heading: string, lang: string): string {
  const headingLine = markdown.split('\n').indexOf(heading) + 1;
  if (headingLine === 0) throw new Error(`docs/getting-started.md has no heading '${heading}'`);
  const block = markdownBlocks('docs/getting-started.md', markdown).find((b) => b.lang === lang && b.line > headingLine);
  if (block === undefined) throw new Error(`docs/getting-started.md has no \`\`\`${lang} block after '${heading}'`);
  return block.code;
}

/** Where the block's imports come from: the source, never the built dist/. */
const MODULES: Record<string, string> = {
  'tfjs-prune': '../../src/index',
  'tfjs-prune/node': '../../src/node/index',
  'tfjs-prune/wasm': '../../src/wasm/index',
  '@tensorflow/tfjs': '@tensorflow/tfjs',
};

const GLOBALS = ['model', 'xTrain', 'yTrain', 'xVal', 'yVal'] as const;
type Globals = Record<(typeof GLOBALS)[number], unknown>;

/** Transpiles a ```ts block and runs it; returns the lines it printed with console.log. */
async function runBlock(source: string, globals: Globals): Promise<string[]> {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true },
    reportDiagnostics: false,
  });
  const printed: string[] = [];
  const blockConsole = { ...console, log: (...args: unknown[]) => printed.push(args.map(String).join(' ')) };
  const blockRequire = (name: string): unknown => {
    if (!(name in MODULES)) throw new Error(`the example imports '${name}', which this test does not map`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(MODULES[name]);
  };
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<void>;
  const body = new AsyncFunction('require', 'exports', 'module', 'console', ...GLOBALS, outputText);
  const exports = {};
  await body(blockRequire, exports, { exports }, blockConsole, ...GLOBALS.map((g) => globals[g]));
  return printed;
}

function buildModel(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  return tf.sequential({
    name: 'digits',
    layers: [
      tf.layers.conv2d({ name: 'conv1', inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      tf.layers.conv2d({ name: 'conv2', filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'fc1', units: 32, activation: 'relu', kernelInitializer: init(3) }),
      tf.layers.dense({ name: 'out', units: 10, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  });
}

describe('docs/getting-started.md', () => {
  test('the 10-line example runs: FLOPs at or under the target, fewer parameters, the report printed, the model saved, no tensor left', async () => {
    const markdown = fs.readFileSync(PAGE, 'utf8');
    const source = blockAfter(markdown, HEADING, 'ts');
    expect(source.split('\n').length).toBeLessThanOrEqual(16);
    const target = Number(/targetFlops\(([0-9.]+)\)/.exec(source)?.[1]);
    expect(target).toBeGreaterThan(0);

    const tensorsAtStart = tf.memory().numTensors;
    const digits = loadMnist({ trainSize: 3000, testSize: 0, seed: 1 });
    const [xTrain, xVal] = tf.split(digits.xTrain, [2400, 600]);
    const [yTrain, yVal] = tf.split(digits.yTrain, [2400, 600]);
    tf.dispose([digits.xTrain, digits.yTrain, digits.xTest, digits.yTest]);
    const model = buildModel();
    const optimizer = tf.train.adam(3e-3);
    const cwd = process.cwd();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-prune-getting-started-'));
    try {
      model.compile({ optimizer, loss: 'categoricalCrossentropy' });
      await model.fit(xTrain, yTrain, { epochs: 5, batchSize: 32, shuffle: false, verbose: 0 });
      const tensorsBefore = tf.memory().numTensors;

      process.chdir(dir);
      const started = performance.now();
      const printed = await runBlock(source, { model, xTrain, yTrain, xVal, yVal });
      const seconds = (performance.now() - started) / 1000;
      process.chdir(cwd);
      if (process.env.PRINT_GETTING_STARTED) process.stdout.write(`${printed.join('\n')}\n(the block ran in ${seconds.toFixed(1)} s)\n`);

      // The block disposed what it made: the pruned model (and its optimizer).
      expect(tf.memory().numTensors).toBe(tensorsBefore);

      // It printed the report: the summary table, the stop reason, the channels per group.
      const output = printed.join('\n');
      expect(output).toContain('# Pruning report');
      expect(output).toMatch(/^\| FLOPs \(MACs per example\) \| [0-9,]+ \| [0-9,]+ \| [0-9.]+% of original \|$/m);
      expect(output).toContain('## Channels per group');

      // It saved the pruned model; read it back to check what the report says.
      const pruned = await loadModelDirectory(path.join(dir, 'out', 'pruned'));
      try {
        const flops = countFlops(pruned).total;
        const originalFlops = countFlops(model).total;
        expect(flops / originalFlops).toBeLessThanOrEqual(target);
        expect(countParams(pruned).total).toBeLessThan(countParams(model).total);
        expect(output).toContain(`| FLOPs (MACs per example) | ${originalFlops.toLocaleString('en-US')} | ${flops.toLocaleString('en-US')} |`);
        expect(output).toContain(`Stopped by \`targetFlops(${target})\``);
        // With the defaults (no criterion, schedule or objective), within the page's 1-point bound:
        // the saved model's validation accuracy, computed here, is at most 1 point below the original's.
        const bound = Number(/maxMetricDrop\('accuracy', ([0-9.]+)\)/.exec(source)?.[1]);
        expect(bound).toBe(0.01);
        expect(source).not.toMatch(/criterion:|schedule:|objective:/);
        const accuracy = (m: tf.LayersModel) => tf.tidy(() => (m.predict(xVal) as tf.Tensor).argMax(-1).equal(yVal.argMax(-1)).mean().dataSync()[0]);
        expect(accuracy(pruned)).toBeGreaterThanOrEqual(accuracy(model) - bound);
        // The page's "What it printed" block is such an output: same rows, same stop. (Its numbers
        // come from a wasm run; other backends and machines may round differently.)
        const shown = blockAfter(markdown, '## What it printed', 'text');
        for (const row of ['| parameters |', '| FLOPs (MACs per example) |', '| accuracy (higher is better) |', '## Channels per group']) expect(shown).toContain(row);
        expect(shown).toContain(`Stopped by \`targetFlops(${target})\``);
      } finally {
        pruned.dispose();
      }
    } finally {
      process.chdir(cwd);
      fs.rmSync(dir, { recursive: true, force: true });
      model.dispose();
      optimizer.dispose();
      tf.dispose([xTrain, yTrain, xVal, yVal]);
    }
    expect(tf.memory().numTensors).toBe(tensorsAtStart);
  });
});
