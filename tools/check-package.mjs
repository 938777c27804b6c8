// npm run test:package: tests tfjs-prune as users get it, from the tarball `npm pack` makes.
//
//   node tools/check-package.mjs            build first only if dist/ is older than a build input
//   node tools/check-package.mjs --build    always run `npm run build` first
//   node tools/check-package.mjs --no-build never build; fail if dist/ is missing or stale
//   KEEP_TMP=1 node tools/check-package.mjs keep the temporary directories (their path is printed)
//
// 1. `npm pack` into a temp dir; the tarball holds package.json, README.md, LICENSE, CHANGELOG.md
//    and dist/ only; every `exports` target is there; source maps, relative imports and bare
//    imports all resolve within the package or its declared dependencies.
// 2. A fresh project outside the repo installs the tarball with @tensorflow/tfjs and
//    @tensorflow/tfjs-backend-wasm at the versions of our package-lock.json; nothing installs or
//    asks for @tensorflow/tfjs-node.
// 3. require() and import of tfjs-prune, tfjs-prune/wasm and tfjs-prune/node expose the runtime
//    exports their source entry points declare; a smoke run (analyze, scoreGroups, prune,
//    countFlops, countParams with exact numbers) in both module systems; one training step on the
//    wasm backend with enableWasmTraining in both module systems; the same with
//    enableWasmTraining({ threads: 2 }) (Node's threaded wasm build): 2 threads, the script exits
//    on its own, its TMPDIR stays empty.
// 4. Consumer TypeScript compiles against the installed types: moduleResolution node16 (a .cts and
//    a .mts consumer) and bundler; wrong uses are type errors (@ts-expect-error lines, and a file
//    that must fail).
// 5. esbuild bundles tfjs-prune + tfjs-prune/wasm for platform 'browser' with no Node built-in;
//    self-test: bundling tfjs-prune/node that way is refused.
// Exits with status 1 naming every failed check. Nothing is installed in the repository.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { builtinModules, createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const started = performance.now();
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const keepTmp = process.env.KEEP_TMP === '1';
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(repo, 'package-lock.json'), 'utf8'));
const repoRequire = createRequire(path.join(repo, 'package.json'));

// Children never see npm's script environment (npm_config_local_prefix and friends would point a
// nested npm at the repository).
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
childEnv.npm_config_update_notifier = 'false';

// ---------------------------------------------------------------------------------------------
// Reporting

const results = [];
let stopAll = false;

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Runs one named check; a thrown error (or a rejected promise) fails it with the error's message. */
async function check(name, fn, { prerequisite = false } = {}) {
  if (stopAll) {
    results.push({ name, status: 'skipped' });
    console.log(`- skip  ${name} (an earlier required step failed)`);
    return undefined;
  }
  const t = performance.now();
  try {
    const value = await fn();
    const note = typeof value === 'string' ? value : undefined;
    results.push({ name, status: 'ok', ms: performance.now() - t });
    console.log(`✓ ok    ${name} (${seconds(performance.now() - t)})${note ? `: ${note}` : ''}`);
    return value;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    results.push({ name, status: 'failed', ms: performance.now() - t, message });
    console.log(`✗ FAIL  ${name} (${seconds(performance.now() - t)})\n${indent(message)}`);
    if (prerequisite) stopAll = true;
    return undefined;
  }
}

function indent(text, by = '        ') {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => by + line)
    .join('\n');
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Runs a command; resolves with { code, stdout, stderr } (never rejects on a non-zero exit). */
function run(command, commandArgs, { cwd, env = childEnv, timeoutMs = 120_000, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // only the child this function started
      reject(new Error(`${command} ${commandArgs.join(' ')} timed out after ${timeoutMs / 1000} s\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

function commandFailed(what, r) {
  return new Error(`${what} exited with status ${r.code}\n--- stdout\n${r.stdout.trim()}\n--- stderr\n${r.stderr.trim()}`);
}

// ---------------------------------------------------------------------------------------------
// Expectations read from the repository

/** Runtime (non-type) names a source entry point exports: `export { a, b as c } from '...'`. */
function declaredExports(entryFile) {
  const text = fs.readFileSync(path.join(repo, entryFile), 'utf8');
  const names = new Set();
  for (const [, list] of text.matchAll(/^export\s*\{([^}]*)\}\s*from\s*['"][^'"]+['"]/gm)) {
    for (const item of list.split(',')) {
      const spec = item.trim();
      if (spec === '' || spec.startsWith('type ')) continue;
      names.add(spec.split(/\s+as\s+/).pop().trim());
    }
  }
  for (const [, name] of text.matchAll(/^export\s+(?:async\s+)?(?:function\*?|const|let|class)\s+([A-Za-z_$][\w$]*)/gm)) names.add(name);
  assert(names.size > 0, `found no runtime export in ${entryFile}`);
  return [...names].sort();
}

const ENTRIES = [
  { specifier: 'tfjs-prune', source: 'src/index.ts' },
  { specifier: 'tfjs-prune/wasm', source: 'src/wasm/index.ts' },
  { specifier: 'tfjs-prune/node', source: 'src/node/index.ts' },
];
for (const entry of ENTRIES) entry.names = declaredExports(entry.source);

/** What a few exports must be, beyond being exported (checked in both module systems). */
const KINDS = {
  'tfjs-prune': {
    function: ['pruneIteratively', 'createPruner', 'prune', 'analyze', 'countFlops', 'countParams', 'measureLatency', 'measureLayerLatency', 'scoreGroups', 'evaluateCriteria', 'learnToPrune', 'targetFlops', 'maxMetricDrop', 'anyOf', 'allOf', 'memoryCheckpointStore', 'createReport', 'reportFromJSON'],
    class: ['PruneError'],
    criteria: ['taylor', 'taylorWeight', 'l1Norm', 'l2Norm', 'minWeight', 'bnScale', 'fpgm', 'meanActivation', 'activationStd', 'apoz', 'random', 'oracle'],
  },
  'tfjs-prune/wasm': { function: ['enableWasmTraining'], class: ['PruneError'] },
  'tfjs-prune/node': { function: ['fileCheckpointStore', 'saveModelDirectory', 'loadModelDirectory'], class: ['PruneError'] },
};

function lockedVersion(name) {
  const version = lock.packages?.[`node_modules/${name}`]?.version;
  assert(typeof version === 'string', `package-lock.json has no version of ${name}`);
  return version;
}

// ---------------------------------------------------------------------------------------------
// Temporary directories

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-prune-package-'));
const packDir = path.join(tmpRoot, 'pack');
const extractDir = path.join(tmpRoot, 'extract');
const project = path.join(tmpRoot, 'consumer');
for (const dir of [packDir, extractDir, project]) fs.mkdirSync(dir);
let tarball;
let packedFiles = [];
const packageRoot = path.join(extractDir, 'package');

function cleanUp() {
  if (keepTmp) console.log(`KEEP_TMP=1: temporary files kept in ${tmpRoot}`);
  else fs.rmSync(tmpRoot, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanUp();
  process.exit(130);
});

// ---------------------------------------------------------------------------------------------
// 0. Build

function listFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out;
}

/** Why dist/ is out of date (a build input newer than the oldest dist file), or null. */
function staleness() {
  const dist = path.join(repo, 'dist');
  if (!fs.existsSync(path.join(dist, 'index.js'))) return 'dist/ has not been built';
  const built = Math.min(...listFiles(dist).map((f) => fs.statSync(f).mtimeMs));
  // package.json is left out: scripts change often, and the build reads only its dependency lists.
  const inputs = [...listFiles(path.join(repo, 'src')), ...['tsup.config.ts', 'tools/finish-dist.cjs', 'tsconfig.json'].map((f) => path.join(repo, f))];
  const newer = inputs.filter((f) => fs.statSync(f).mtimeMs > built);
  return newer.length === 0 ? null : `${path.relative(repo, newer[0])}${newer.length > 1 ? ` and ${newer.length - 1} more` : ''} changed since the last build`;
}

await check(
  'build: dist/ is up to date',
  async () => {
    const stale = args.has('--build') ? '--build given' : staleness();
    if (stale === null) return 'dist/ is newer than every build input (no rebuild)';
    assert(!args.has('--no-build'), `${stale}; run npm run build (or drop --no-build)`);
    const r = await run('npm', ['run', 'build'], { cwd: repo, env: process.env, timeoutMs: 300_000 });
    if (r.code !== 0) throw commandFailed('npm run build', r);
    return `built (${stale})`;
  },
  { prerequisite: true },
);

// ---------------------------------------------------------------------------------------------
// 1. Pack

await check(
  'npm pack',
  async () => {
    const r = await run('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: repo, env: childEnv });
    if (r.code !== 0) throw commandFailed('npm pack', r);
    const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')));
    tarball = path.join(packDir, info.filename);
    assert(fs.existsSync(tarball), `npm pack reported ${info.filename} but wrote no such file`);
    packedFiles = info.files.map((f) => f.path).sort();
    const x = await run('tar', ['-xzf', tarball, '-C', extractDir]);
    if (x.code !== 0) throw commandFailed('tar -xzf', x);
    return `${info.filename}, ${packedFiles.length} files, ${(info.size / 1024).toFixed(0)} kB packed, ${(info.unpackedSize / 1024).toFixed(0)} kB unpacked`;
  },
  { prerequisite: true },
);

/** Every file path package.json's main/module/types/exports name, without "./". */
function exportTargets(manifest) {
  const targets = new Set();
  const walk = (value) => {
    if (typeof value === 'string') targets.add(value.replace(/^\.\//, ''));
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  for (const field of ['main', 'module', 'types']) if (manifest[field]) walk(manifest[field]);
  return [...targets];
}

await check('tarball contents: what users get and nothing else', () => {
  const problems = [];
  const allowed = /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/[^/]+\.(js|cjs|d\.ts|d\.cts|map)|dist\/package\.json)$/;
  const notShipped = /^(src|test|bench|examples|out|docs|tools|coverage|node_modules|\.ci|\.scratch[^/]*|\.git)(\/|$)/;
  for (const file of packedFiles) {
    if (notShipped.test(file)) problems.push(`${file}: ${file.split('/')[0]}/ must not be published`);
    else if (!allowed.test(file)) problems.push(`${file}: unexpected file in the tarball`);
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8'));
  const required = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/package.json', ...exportTargets(manifest)];
  for (const file of required) if (!packedFiles.includes(file)) problems.push(`${file}: missing from the tarball`);
  const distType = JSON.parse(fs.readFileSync(path.join(packageRoot, 'dist/package.json'), 'utf8')).type;
  if (distType !== 'module') problems.push(`dist/package.json has type ${JSON.stringify(distType)}, expected "module" (dist/*.js are ES modules)`);
  assert(problems.length === 0, problems.join('\n'));
  return `${packedFiles.filter((f) => f.startsWith('dist/')).length} dist files + ${packedFiles.filter((f) => !f.startsWith('dist/')).join(', ')}`;
});

await check('tarball package.json: dependencies, peers, no install scripts', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8'));
  const problems = [];
  for (const field of ['dependencies', 'optionalDependencies', 'bundleDependencies', 'bundledDependencies']) {
    for (const name of Object.keys(manifest[field] ?? {})) if (name.startsWith('@tensorflow/')) problems.push(`${field} lists ${name}: TF.js packages must be peers`);
  }
  if (!manifest.peerDependencies?.['@tensorflow/tfjs']) problems.push('@tensorflow/tfjs is not a peer dependency');
  if (manifest.peerDependenciesMeta?.['@tensorflow/tfjs']?.optional) problems.push('@tensorflow/tfjs must be a required peer');
  for (const optional of ['@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm']) {
    if (manifest.peerDependencies?.[optional] && manifest.peerDependenciesMeta?.[optional]?.optional !== true) problems.push(`peer ${optional} is not marked optional`);
  }
  for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) {
    if (manifest.scripts?.[script]) problems.push(`scripts.${script} would run on the user's machine`);
  }
  if (manifest.version !== pkg.version) problems.push(`version ${manifest.version} differs from the repository's ${pkg.version}`);
  assert(problems.length === 0, problems.join('\n'));
});

/** Removes block comments and whole-line // comments (JSDoc examples import 'tfjs-prune'). */
function stripComments(code) {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

// Static imports are matched at the start of a line so that a message quoting `import 'x';` is not one.
const SPECIFIERS = [
  /^\s*(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function specifiersOf(code) {
  const found = new Set();
  for (const pattern of SPECIFIERS) for (const [, s] of stripComments(code).matchAll(pattern)) found.add(s);
  return [...found];
}

function isBuiltin(specifier) {
  return specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]);
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

await check('tarball imports: relative ones resolve inside dist/, bare ones are declared packages', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8'));
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
  const problems = [];
  const bare = new Set();
  for (const file of packedFiles.filter((f) => /^dist\/.+\.(js|cjs|d\.ts|d\.cts)$/.test(f))) {
    const code = fs.readFileSync(path.join(packageRoot, file), 'utf8');
    const isDeclaration = /\.d\.c?ts$/.test(file);
    for (const specifier of specifiersOf(code)) {
      if (specifier.startsWith('.')) {
        let target = path.posix.join(path.posix.dirname(file), specifier);
        if (isDeclaration) target = target.replace(/\.js$/, '.d.ts').replace(/\.cjs$/, '.d.cts');
        if (!packedFiles.includes(target)) problems.push(`${file} imports ${specifier}: ${target} is not in the tarball`);
        if (file.endsWith('.cjs') && !specifier.endsWith('.cjs')) problems.push(`${file} (CommonJS) imports ${specifier}, not a .cjs file`);
        if (/\.(js|d\.ts)$/.test(file) && !file.endsWith('.d.cts') && /\.c(js|ts)$/.test(specifier)) problems.push(`${file} (ESM) imports the CommonJS ${specifier}`);
      } else if (isBuiltin(specifier)) {
        if (!/^dist\/(node|chunk-[^/]+)\.(js|cjs)$/.test(file) && !isDeclaration) problems.push(`${file} imports the Node built-in ${specifier}`);
        bare.add(specifier);
      } else {
        bare.add(specifier);
        if (!declared.has(packageName(specifier))) problems.push(`${file} imports ${specifier}, which is neither a dependency nor a peer dependency`);
        if (packageName(specifier) === '@tensorflow/tfjs-node') problems.push(`${file} imports ${specifier}: nothing may need tfjs-node`);
      }
    }
  }
  assert(problems.length === 0, problems.join('\n'));
  return `outside dist/: ${[...bare].sort().join(', ')}`;
});

await check('tarball source maps: no build-machine path, every source shipped or embedded', () => {
  const problems = [];
  for (const file of packedFiles.filter((f) => /^dist\/.+\.(js|cjs)$/.test(f))) {
    const code = fs.readFileSync(path.join(packageRoot, file), 'utf8');
    const url = code.match(/\/\/# sourceMappingURL=(\S+)\s*$/)?.[1];
    if (url === undefined) problems.push(`${file} has no sourceMappingURL`);
    else if (!packedFiles.includes(path.posix.join(path.posix.dirname(file), url))) problems.push(`${file} points at ${url}, which is not in the tarball`);
  }
  for (const file of packedFiles.filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(fs.readFileSync(path.join(packageRoot, file), 'utf8'));
    if (map.file !== undefined && path.isAbsolute(map.file)) problems.push(`${file}: "file" is the absolute path ${map.file}`);
    const root = map.sourceRoot ?? '';
    map.sources.forEach((source, i) => {
      if (path.isAbsolute(source)) problems.push(`${file}: source ${source} is an absolute path`);
      const content = map.sourcesContent?.[i];
      const shipped = packedFiles.includes(path.posix.normalize(path.posix.join(path.posix.dirname(file), root, source)));
      if (content == null && !shipped) problems.push(`${file}: source ${source} is neither embedded (sourcesContent) nor in the tarball`);
    });
  }
  for (const file of packedFiles) {
    const text = fs.readFileSync(path.join(packageRoot, file), 'utf8');
    if (text.includes(repo)) problems.push(`${file} contains the build directory's path ${repo}`);
  }
  assert(problems.length === 0, problems.join('\n'));
});

// ---------------------------------------------------------------------------------------------
// 2. Install into a fresh project

let installOutput = '';
const versions = { tfjs: lockedVersion('@tensorflow/tfjs'), wasm: lockedVersion('@tensorflow/tfjs-backend-wasm') };

await check(
  `npm install the tarball + @tensorflow/tfjs@${versions.tfjs} + @tensorflow/tfjs-backend-wasm@${versions.wasm} in a fresh project`,
  async () => {
    fs.writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: 'tfjs-prune-consumer', version: '0.0.0', private: true }, null, 2)}\n`);
    const prefix = await run('npm', ['prefix'], { cwd: project });
    assert(prefix.stdout.trim() === project, `npm would install into ${prefix.stdout.trim()}, not the temp project ${project}`);
    const r = await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, `@tensorflow/tfjs@${versions.tfjs}`, `@tensorflow/tfjs-backend-wasm@${versions.wasm}`],
      { cwd: project, timeoutMs: 180_000 },
    );
    if (r.code !== 0) throw commandFailed('npm install', r);
    installOutput = r.stdout + r.stderr;
    const installed = JSON.parse(fs.readFileSync(path.join(project, 'node_modules/tfjs-prune/package.json'), 'utf8')).version;
    assert(installed === pkg.version, `installed tfjs-prune is ${installed}, expected ${pkg.version}`);
    return r.stdout.trim().split('\n').find((l) => /added \d+ package/.test(l)) ?? '';
  },
  { prerequisite: true },
);

await check('@tensorflow/tfjs-node is neither installed nor required', async () => {
  const problems = [];
  if (fs.existsSync(path.join(project, 'node_modules/@tensorflow/tfjs-node'))) problems.push('node_modules/@tensorflow/tfjs-node exists');
  for (const line of installOutput.split('\n')) if (line.includes('tfjs-node')) problems.push(`npm install said: ${line.trim()}`);
  const projectLock = JSON.parse(fs.readFileSync(path.join(project, 'package-lock.json'), 'utf8'));
  for (const key of Object.keys(projectLock.packages ?? {})) if (key.endsWith('node_modules/@tensorflow/tfjs-node')) problems.push(`package-lock.json installs ${key}`);
  const ls = await run('npm', ['ls', '--all', '--json'], { cwd: project });
  const tree = JSON.parse(ls.stdout || '{}');
  if (ls.code !== 0) problems.push(`npm ls reports problems: ${JSON.stringify(tree.problems ?? ls.stderr)}`);
  // npm ls shows an optional peer that is not installed as an empty entry; an installed one has a version.
  const walk = (node, where) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      if (name === '@tensorflow/tfjs-node' && (child.version || child.resolved || child.missing)) problems.push(`npm ls: ${where} > ${name} ${JSON.stringify(child)}`);
      walk(child, `${where} > ${name}`);
    }
  };
  walk(tree, tree.name ?? 'consumer');
  assert(problems.length === 0, problems.join('\n'));
});

// ---------------------------------------------------------------------------------------------
// 4. Types: tsc starts right after the install and runs while the runtime checks do; judged below

const tscPath = repoRequire.resolve('typescript/bin/tsc');
const tsVersion = repoRequire('typescript/package.json').version;

const CONSUMER_TS = `import * as tf from '@tensorflow/tfjs';
import {
  analyze,
  anyOf,
  countFlops,
  criteria,
  maxMetricDrop,
  prune,
  PruneError,
  pruneIteratively,
  targetFlops,
  type Analysis,
  type CheckpointStore,
  type CountFlopsResult,
  type Criterion,
  type GroupScores,
  type PruneErrorCode,
  type PruneIterativelyOptions,
  type PruneResult,
  type StopPolicy,
} from 'tfjs-prune';
import { enableWasmTraining, type WasmTrainingKernels } from 'tfjs-prune/wasm';
import {
  fileCheckpointStore,
  loadModelDirectory,
  saveModelDirectory,
  PruneError as NodePruneError,
  type FileCheckpointStoreOptions,
  type SavedModelDirectory,
} from 'tfjs-prune/node';

// A custom criterion: a plain object.
export const biasCriterion: Criterion = {
  name: 'bias',
  needs: [],
  normalize: 'none',
  score(input): GroupScores {
    return Object.fromEntries(input.groups.map((g) => [g.id, input.producerWeights(g.id)[0].bias ?? new Float32Array(g.size)]));
  },
};

// A custom stopping policy.
export const under10k: StopPolicy = {
  name: 'params < 10000',
  check: (s) => (s.current.params < 10000 ? { stop: true, reason: 'small enough', by: 'params < 10000' } : { stop: false }),
};

const storeOptions: FileCheckpointStoreOptions = { sync: false };
const store: CheckpointStore = fileCheckpointStore('checkpoints', storeOptions);

export const options: PruneIterativelyOptions = {
  criterion: criteria.taylor({ normalize: 'l2' }),
  compile: { optimizer: () => tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] },
  stop: anyOf(targetFlops(0.5), maxMetricDrop('accuracy', 0.01), under10k),
  fineTune: { steps: 10, batchSize: 32 },
  checkpoint: store,
};

export async function use(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<number> {
  const analysis: Analysis = analyze(model);
  const before: CountFlopsResult = countFlops(model);
  const first = analysis.groups.find((g) => g.prunable);
  let smaller: tf.LayersModel = model;
  try {
    if (first) smaller = prune(model, { [first.id]: [0] });
  } catch (e) {
    if (e instanceof PruneError || e instanceof NodePruneError) {
      const code: PruneErrorCode = e.code;
      throw new Error(code);
    }
  }
  const result: PruneResult = await pruneIteratively(smaller, { train: { x, y } }, { ...options, criterion: biasCriterion });
  const saved: SavedModelDirectory = await saveModelDirectory(result.model, 'out');
  const reloaded: tf.LayersModel = await loadModelDirectory('out');
  const kernels: WasmTrainingKernels = enableWasmTraining({ fastConv2DBackpropInput: true });
  const markdown: string = result.report.toMarkdown();
  return before.total + saved.weightBytes + reloaded.layers.length + kernels.added.length + markdown.length;
}

// Wrong uses must be type errors (an unused @ts-expect-error is itself an error).
// @ts-expect-error 'weights' is not a CriterionNeed
export const badCriterion: Criterion = { name: 'bad', needs: ['weights'], score: () => ({}) };
// @ts-expect-error compile is required
export const noCompile: PruneIterativelyOptions = { stop: targetFlops(0.5) };
// @ts-expect-error sync is a boolean
export const badStore = fileCheckpointStore('dir', { sync: 'yes' });
// @ts-expect-error removals are index arrays
export const badPlan = (m: tf.LayersModel) => prune(m, { conv: 'first' });
// @ts-expect-error enableWasmTraining has no such option
export const badWasm = () => enableWasmTraining({ fast: true });
// @ts-expect-error a StopPolicy needs check()
export const badPolicy: StopPolicy = { name: 'nothing' };
`;

// Exactly one error, TS2322 on line 4 ('weights' is not a CriterionNeed).
const WRONG_TS = `import type { Criterion } from 'tfjs-prune';

export const bad: Criterion = {
  needs: ['weights'],
  name: 'bad',
  score: () => ({}),
};
`;

const typesDir = path.join(project, 'types');

function writeTsconfig(name, compilerOptions, files) {
  const file = path.join(typesDir, name);
  const base = { strict: true, noEmit: true, skipLibCheck: true, target: 'ES2020', lib: ['ES2020', 'DOM'], types: [], esModuleInterop: true, forceConsistentCasingInFileNames: true };
  fs.writeFileSync(file, `${JSON.stringify({ compilerOptions: { ...base, ...compilerOptions }, files }, null, 2)}\n`);
  return file;
}

async function tsc(tsconfig, ...extra) {
  return run(process.execPath, [tscPath, '-p', tsconfig, '--pretty', 'false', ...extra], { cwd: typesDir, timeoutMs: 120_000 });
}

/** tsc's diagnostics, one string per error (with its indented continuation lines). */
function tscErrors(stdout) {
  const errors = [];
  for (const line of stdout.split('\n')) {
    if (/^\S.*\(\d+,\d+\): error TS\d+/.test(line) || /^error TS\d+/.test(line)) errors.push(line);
    else if (/^\s/.test(line) && errors.length > 0 && line.trim() !== '') errors[errors.length - 1] += `\n${line}`;
  }
  return errors;
}

let typeRuns = null;

/** Writes the consumer files and starts both tsc runs (node16; bundler with the file that must fail). */
function startTypeChecks() {
  fs.mkdirSync(typesDir, { recursive: true });
  for (const name of ['consumer.cts', 'consumer.mts', 'consumer.ts']) fs.writeFileSync(path.join(typesDir, name), CONSUMER_TS);
  fs.writeFileSync(path.join(typesDir, 'wrong.ts'), WRONG_TS);
  typeRuns = {
    node16: tsc(writeTsconfig('tsconfig.node16.json', { module: 'node16', moduleResolution: 'node16', skipLibCheck: false }, ['consumer.cts', 'consumer.mts']), '--listFiles'),
    bundler: tsc(writeTsconfig('tsconfig.bundler.json', { module: 'esnext', moduleResolution: 'bundler' }, ['consumer.ts', 'wrong.ts'])),
  };
  for (const pending of Object.values(typeRuns)) pending.catch(() => {}); // judged (and reported) below
}

if (!stopAll) startTypeChecks();

// ---------------------------------------------------------------------------------------------
// 3. Runtime: exports, smoke run, wasm training

/** Runs JavaScript in the consumer project, as CommonJS (.cjs) or ESM (.mjs); returns its last stdout line as JSON. */
async function runInProject(name, code, system) {
  const file = path.join(project, `${name}.${system === 'esm' ? 'mjs' : 'cjs'}`);
  fs.writeFileSync(file, code);
  const r = await run(process.execPath, [file], { cwd: project, timeoutMs: 60_000 });
  if (r.code !== 0) throw commandFailed(`node ${path.basename(file)}`, r);
  const last = r.stdout.trim().split('\n').pop();
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`node ${path.basename(file)} printed no JSON result\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
}

const DESCRIBE = `
function describe(m) {
  const kinds = {};
  for (const [k, v] of Object.entries(m)) {
    kinds[k] = typeof v === 'function' && /^class\\b/.test(Function.prototype.toString.call(v)) ? 'class' : typeof v;
  }
  const criteria = m.criteria ? Object.fromEntries(Object.entries(m.criteria).map(([k, v]) => [k, typeof v])) : null;
  let errorOk = null;
  if (m.PruneError) {
    const e = new m.PruneError('INVALID_OPTION', 'x');
    errorOk = e instanceof Error && e instanceof m.PruneError && e.code === 'INVALID_OPTION' && e.name === 'PruneError';
  }
  return { kinds, criteria, errorOk };
}`;

// One child process per module system loads all three entries (each in its own try), then each
// entry is judged as its own check.
async function describeEntries(system) {
  const specs = JSON.stringify(ENTRIES.map((e) => e.specifier));
  const code =
    system === 'cjs'
      ? `${DESCRIBE}
const out = {};
let core;
try { core = require('tfjs-prune'); } catch {}
for (const spec of ${specs}) {
  try {
    const m = require(spec);
    out[spec] = { ...describe(m), file: require.resolve(spec), samePruneError: core !== undefined && m.PruneError === core.PruneError };
  } catch (e) {
    out[spec] = { error: String(e && e.stack || e) };
  }
}
console.log(JSON.stringify(out));
`
      : `${DESCRIBE}
const out = {};
let core;
try { core = await import('tfjs-prune'); } catch {}
for (const spec of ${specs}) {
  try {
    const m = await import(spec);
    out[spec] = { ...describe(m), file: import.meta.resolve(spec), samePruneError: core !== undefined && m.PruneError === core.PruneError };
  } catch (e) {
    out[spec] = { error: String(e && e.stack || e) };
  }
}
console.log(JSON.stringify(out));
`;
  return runInProject(`exports-${system}`, code, system);
}

function judgeEntry(entry, system, got) {
  assert(got !== undefined, 'the entry was not loaded');
  assert(got.error === undefined, `loading it threw:\n${got.error}`);
  const problems = [];
  const expectedFile = system === 'cjs' ? /node_modules\/tfjs-prune\/dist\/\w+\.cjs$/ : /node_modules\/tfjs-prune\/dist\/\w+\.js$/;
  if (!expectedFile.test(got.file)) problems.push(`resolved to ${got.file}, expected the ${system === 'cjs' ? '.cjs' : '.js'} build`);
  const names = Object.keys(got.kinds).filter((k) => k !== '__esModule' && k !== 'default');
  const missing = entry.names.filter((n) => !names.includes(n));
  const extra = names.filter((n) => !entry.names.includes(n));
  if (missing.length > 0) problems.push(`missing exports (declared in ${entry.source}): ${missing.join(', ')}`);
  if (extra.length > 0) problems.push(`exports not declared in ${entry.source}: ${extra.join(', ')}`);
  const kinds = KINDS[entry.specifier];
  for (const fn of kinds.function ?? []) if (got.kinds[fn] !== 'function') problems.push(`${fn} is ${got.kinds[fn]}, expected a function`);
  for (const cls of kinds.class ?? []) if (got.kinds[cls] !== 'class') problems.push(`${cls} is ${got.kinds[cls]}, expected a class`);
  for (const c of kinds.criteria ?? []) if (got.criteria?.[c] !== 'function') problems.push(`criteria.${c} is ${got.criteria?.[c]}, expected a function`);
  if (got.errorOk !== true) problems.push('new PruneError(code, message) is not an Error carrying its code and name');
  if (got.samePruneError !== true) problems.push(`${entry.specifier}'s PruneError is not the class tfjs-prune exports (instanceof would fail across entries)`);
  assert(problems.length === 0, problems.join('\n'));
  return `${names.length} runtime exports`;
}

for (const system of ['cjs', 'esm']) {
  let described;
  let loadError;
  const loading = performance.now();
  try {
    if (!stopAll) described = await describeEntries(system);
  } catch (e) {
    loadError = e;
  }
  if (!stopAll) console.log(`  (${system === 'cjs' ? 'CommonJS' : 'ESM'}: the three entries loaded in one process in ${seconds(performance.now() - loading)})`);
  for (const entry of ENTRIES) {
    const label = system === 'cjs' ? `require('${entry.specifier}')` : `import * from '${entry.specifier}'`;
    await check(`${label} exposes the public API (${system === 'cjs' ? 'CommonJS' : 'ESM'})`, () => {
      if (loadError) throw loadError;
      return judgeEntry(entry, system, described?.[entry.specifier]);
    });
  }
}

// conv (6x6x3 -> 8 filters, 'same') -> flatten -> fc (10 units). Filters 0 and 1 are all zeros
// (kernel and bias), so l1Norm ranks them lowest and removing them leaves the output unchanged.
// MACs: conv 6*6 * 3*3*3 * 8 = 7,776 + fc 288 * 10 = 2,880 = 10,656; after removing 2 filters:
// 6*6 * 27 * 6 = 5,832 + 216 * 10 = 2,160 = 7,992. Params: 3*3*3*8 + 8 + 288*10 + 10 = 3,114;
// after: 27*6 + 6 + 216*10 + 10 = 2,338.
const SMOKE_BODY = `
await tf.setBackend('cpu');
const model = tf.sequential({
  layers: [
    tf.layers.conv2d({ name: 'conv', inputShape: [6, 6, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
    tf.layers.flatten({ name: 'flat' }),
    tf.layers.dense({ name: 'fc', units: 10 }),
  ],
});
const [k, b] = model.getLayer('conv').getWeights();
const kernel = k.arraySync().map((a) => a.map((r) => r.map((c) => c.map((v, f) => (f < 2 ? 0 : (f + 1) * 0.05 * Math.sign(v || 1))))));
model.getLayer('conv').setWeights([tf.tensor4d(kernel), tf.tensor1d([0, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6])]);
const out = {};
out.groups = tp.analyze(model).groups.map((g) => ({ id: g.id, size: g.size, prunable: g.prunable }));
const scores = await tp.scoreGroups(model, tp.criteria.l1Norm({ normalize: 'none' }));
const order = Array.from(scores.conv.keys()).sort((i, j) => scores.conv[i] - scores.conv[j] || i - j);
out.lowest = order.slice(0, 2);
out.flopsBefore = tp.countFlops(model).total;
out.paramsBefore = tp.countParams(model).total;
const small = tp.prune(model, { conv: out.lowest });
out.flopsAfter = tp.countFlops(small).total;
out.flopsPerLayerAfter = tp.countFlops(small).perLayer;
out.paramsAfter = tp.countParams(small).total;
out.flopsOriginalAfterPrune = tp.countFlops(model).total;
out.prunedKernelShape = small.getLayer('conv').getWeights()[0].shape;
out.kernelKept = tf.tidy(() => tf.max(tf.abs(tf.sub(small.getLayer('conv').getWeights()[0], tf.gather(tf.tensor4d(kernel), [2, 3, 4, 5, 6, 7], 3)))).arraySync());
const x = tf.randomNormal([4, 6, 6, 3], 0, 1, 'float32', 7);
out.outputDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(model.predict(x), small.predict(x)))).arraySync());
try {
  tp.prune(model, { conv: [8] });
  out.error = 'no error';
} catch (e) {
  out.error = e instanceof tp.PruneError ? e.code : String(e);
}
console.log(JSON.stringify(out));
`;

const SMOKE_EXPECTED = {
  groups: [
    { id: 'conv', size: 8, prunable: true },
    { id: 'fc', size: 10, prunable: false },
  ],
  lowest: [0, 1],
  flopsBefore: 10656,
  paramsBefore: 3114,
  flopsAfter: 7992,
  flopsPerLayerAfter: { conv: 5832, flat: 0, fc: 2160 },
  paramsAfter: 2338,
  flopsOriginalAfterPrune: 10656,
  prunedKernelShape: [3, 3, 3, 6],
  kernelKept: 0,
  error: 'INDEX_OUT_OF_RANGE',
};

function compareSmoke(got) {
  const problems = [];
  for (const [key, want] of Object.entries(SMOKE_EXPECTED)) {
    if (JSON.stringify(got[key]) !== JSON.stringify(want)) problems.push(`${key}: got ${JSON.stringify(got[key])}, expected ${JSON.stringify(want)}`);
  }
  if (!(got.outputDiff < 1e-5)) problems.push(`pruned model's output differs from the original's by ${got.outputDiff} (removed filters were all zeros)`);
  assert(problems.length === 0, problems.join('\n'));
  return `MACs ${got.flopsBefore} -> ${got.flopsAfter}, params ${got.paramsBefore} -> ${got.paramsAfter}, max output change ${got.outputDiff.toExponential(1)}`;
}

await check('smoke run, CommonJS: analyze, scoreGroups(l1Norm), prune, countFlops, countParams (cpu backend)', async () =>
  compareSmoke(await runInProject('smoke-cjs', `const tf = require('@tensorflow/tfjs');\nconst tp = require('tfjs-prune');\n(async () => {\n${SMOKE_BODY}\n})().catch((e) => { console.error(e); process.exit(1); });\n`, 'cjs')),
);
await check('smoke run, ESM: analyze, scoreGroups(l1Norm), prune, countFlops, countParams (cpu backend)', async () =>
  compareSmoke(await runInProject('smoke-esm', `import * as tf from '@tensorflow/tfjs';\nimport * as tp from 'tfjs-prune';\n${SMOKE_BODY}`, 'esm')),
);

// On wasm, the gradient of a conv2d with respect to its filter needs Conv2DBackpropFilter, which
// @tensorflow/tfjs-backend-wasm 4.x lacks: it must fail before enableWasmTraining(), match the cpu
// backend after it, and one fit step of a conv model must train.
const WASM_BODY = `
const out = {};
await tf.setBackend('cpu');
const x = tf.randomNormal([2, 5, 5, 2], 0, 1, 'float32', 1);
const f = tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 2);
const gradOf = () => tf.tidy(() => tf.grad((w) => tf.sum(tf.conv2d(x, w, 1, 'same')))(f).arraySync());
const onCpu = gradOf();
await tf.setBackend('wasm');
out.backend = tf.getBackend();
try {
  gradOf();
  out.before = 'worked';
} catch (e) {
  out.before = String(e.message || e);
}
out.enabled = wasm.enableWasmTraining();
const onWasm = gradOf();
out.gradDiff = Math.max(...onWasm.flat(3).map((v, i) => Math.abs(v - onCpu.flat(3)[i])));
const model = tf.sequential({
  layers: [
    tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
    tf.layers.batchNormalization(),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 3, activation: 'softmax' }),
  ],
});
model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
const xs = tf.randomNormal([8, 8, 8, 1], 0, 1, 'float32', 3);
const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3);
const before = model.getWeights()[0].arraySync().flat(3);
const history = await model.fit(xs, ys, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
out.loss = history.history.loss[0];
out.kernelChange = Math.max(...model.getWeights()[0].arraySync().flat(3).map((v, i) => Math.abs(v - before[i])));
out.backendAfter = tf.getBackend();
console.log(JSON.stringify(out));
`;

function compareWasm(got) {
  const problems = [];
  if (got.backend !== 'wasm' || got.backendAfter !== 'wasm') problems.push(`backend ${got.backend}/${got.backendAfter}, expected wasm`);
  if (!/Conv2DBackpropFilter/.test(got.before)) problems.push(`before enableWasmTraining the filter gradient should fail for lack of Conv2DBackpropFilter; got: ${got.before}`);
  if (!got.enabled?.added?.includes('Conv2DBackpropFilter')) problems.push(`enableWasmTraining() returned ${JSON.stringify(got.enabled)}, without Conv2DBackpropFilter in added`);
  if (!(got.gradDiff < 1e-3)) problems.push(`conv2d filter gradient on wasm differs from cpu by ${got.gradDiff}`);
  if (!Number.isFinite(got.loss)) problems.push(`fit loss is ${got.loss}`);
  if (!(got.kernelChange > 0)) problems.push(`one fit step left the conv kernel unchanged (max change ${got.kernelChange})`);
  assert(problems.length === 0, problems.join('\n'));
  return `added ${got.enabled.added.length} kernels, replaced ${got.enabled.replaced.length}; fit loss ${got.loss.toFixed(4)}; filter gradient = cpu's within ${got.gradDiff.toExponential(1)}`;
}

await check('wasm training, CommonJS: enableWasmTraining() then one fit step on @tensorflow/tfjs-backend-wasm', async () =>
  compareWasm(await runInProject('wasm-cjs', `const tf = require('@tensorflow/tfjs');\nrequire('@tensorflow/tfjs-backend-wasm');\nconst wasm = require('tfjs-prune/wasm');\n(async () => {\n${WASM_BODY}\n})().catch((e) => { console.error(e); process.exit(1); });\n`, 'cjs')),
);
await check('wasm training, ESM: enableWasmTraining() then one fit step on @tensorflow/tfjs-backend-wasm', async () =>
  compareWasm(await runInProject('wasm-esm', `import * as tf from '@tensorflow/tfjs';\nimport '@tensorflow/tfjs-backend-wasm';\nimport * as wasm from 'tfjs-prune/wasm';\n${WASM_BODY}`, 'esm')),
);

// enableWasmTraining({ threads: 2 }) starts TF.js's threaded build in Node from the installed
// package: same gradient as cpu, one fit step, 2 threads, no warning, the script ends on its own
// (no process.exit: a pthread worker keeping the process alive would hit the timeout), and the
// TMPDIR it was given stays empty (nothing written to disk).
const THREADS_BODY = `
await tf.setBackend('cpu');
const x = tf.randomNormal([4, 12, 12, 3], 0, 1, 'float32', 1);
const f = tf.randomNormal([3, 3, 3, 8], 0, 1, 'float32', 2);
const gradOf = () => tf.tidy(() => tf.grad((w) => tf.sum(tf.square(tf.conv2d(x, w, 1, 'same'))))(f).arraySync().flat(3));
const onCpu = gradOf();
wasm.enableWasmTraining({ threads: 2 });
await tf.setBackend('wasm');
const out = { backend: tf.getBackend(), threads: wasmBackend.getThreadsCount() };
const onWasm = gradOf();
out.gradDiff = Math.max(...onWasm.map((v, i) => Math.abs(v - onCpu[i]) / Math.max(1, Math.abs(onCpu[i]))));
const model = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu' }), tf.layers.flatten(), tf.layers.dense({ units: 2, activation: 'softmax' })] });
model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
const history = await model.fit(tf.randomNormal([8, 8, 8, 1], 0, 1, 'float32', 3), tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], 'int32'), 2), { epochs: 1, batchSize: 8, verbose: 0 });
out.loss = history.history.loss[0];
tf.disposeVariables();
console.log(JSON.stringify(out));
`;

async function checkThreads(name, code, system) {
  const file = path.join(project, `${name}.${system === 'esm' ? 'mjs' : 'cjs'}`);
  fs.writeFileSync(file, code);
  const tmp = fs.mkdtempSync(path.join(tmpRoot, 'child-tmp-'));
  const r = await run(process.execPath, [file], { cwd: project, timeoutMs: 60_000, env: { ...childEnv, TMPDIR: tmp, TMP: tmp, TEMP: tmp } });
  if (r.code !== 0) throw commandFailed(`node ${path.basename(file)}`, r);
  const got = JSON.parse(r.stdout.trim().split('\n').pop());
  const problems = [];
  if (got.backend !== 'wasm' || got.threads !== 2) problems.push(`backend ${got.backend} with ${got.threads} threads, expected wasm with 2`);
  if (!(got.gradDiff < 1e-4)) problems.push(`conv2d filter gradient on threaded wasm differs from cpu by ${got.gradDiff} (relative)`);
  if (!Number.isFinite(got.loss)) problems.push(`fit loss is ${got.loss}`);
  if (/tfjs-prune:/.test(r.stderr)) problems.push(`warned: ${r.stderr.trim()}`);
  const left = fs.readdirSync(tmp);
  if (left.length > 0) problems.push(`left files in its TMPDIR: ${left.join(', ')}`);
  assert(problems.length === 0, problems.join('\n'));
  return `2 threads; filter gradient = cpu's within ${got.gradDiff.toExponential(1)} (relative); fit loss ${got.loss.toFixed(4)}; exited on its own; TMPDIR empty`;
}

await check('threaded wasm, CommonJS: enableWasmTraining({ threads: 2 }), one fit step, exits on its own, no temp file', async () =>
  checkThreads('threads-cjs', `const tf = require('@tensorflow/tfjs');\nconst wasmBackend = require('@tensorflow/tfjs-backend-wasm');\nconst wasm = require('tfjs-prune/wasm');\n(async () => {\n${THREADS_BODY}\n})().catch((e) => { console.error(e); process.exit(1); });\n`, 'cjs'),
);
await check('threaded wasm, ESM: enableWasmTraining({ threads: 2 }), one fit step, exits on its own, no temp file', async () =>
  checkThreads('threads-esm', `import * as tf from '@tensorflow/tfjs';\nimport * as wasmBackend from '@tensorflow/tfjs-backend-wasm';\nimport * as wasm from 'tfjs-prune/wasm';\n${THREADS_BODY}`, 'esm'),
);

await check('tfjs-prune/node: saveModelDirectory + loadModelDirectory + fileCheckpointStore round trip (ESM)', async () => {
  const got = await runInProject(
    'node-entry-esm',
    `import * as tf from '@tensorflow/tfjs';
import { memoryCheckpointStore } from 'tfjs-prune';
import { fileCheckpointStore, loadModelDirectory, saveModelDirectory } from 'tfjs-prune/node';
await tf.setBackend('cpu');
const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, name: 'd' })] });
const saved = await saveModelDirectory(model, 'saved-model');
const loaded = await loadModelDirectory('saved-model');
const x = tf.ones([1, 4]);
const diff = tf.max(tf.abs(tf.sub(model.predict(x), loaded.predict(x)))).arraySync();
const store = fileCheckpointStore('checkpoints', { sync: false });
const empty = await store.load();
console.log(JSON.stringify({ weightBytes: saved.weightBytes, modelJson: saved.modelJson.endsWith('model.json'), diff, empty, memory: typeof memoryCheckpointStore().save }));
`,
    'esm',
  );
  const problems = [];
  if (got.weightBytes !== (4 * 3 + 3) * 4) problems.push(`weights.bin has ${got.weightBytes} bytes, expected ${(4 * 3 + 3) * 4}`);
  if (!got.modelJson) problems.push('saveModelDirectory did not report a model.json path');
  if (got.diff !== 0) problems.push(`the reloaded model's output differs by ${got.diff}`);
  if (got.empty !== null) problems.push(`a new fileCheckpointStore loads ${JSON.stringify(got.empty)}, expected null`);
  assert(problems.length === 0, problems.join('\n'));
  return `weights.bin ${got.weightBytes} bytes, reloaded model identical`;
});

// ---------------------------------------------------------------------------------------------
// 4. Types: judge the tsc runs started after the install

// skipLibCheck is off in the node16 run, so the declarations tfjs-prune ships are checked too.
// TF.js 4.22's own declarations do not pass strict checking (TS2411 in tfjs-layers' keras_format,
// 'Long' in tfjs-core): errors inside node_modules/@tensorflow/ are counted, not failed on.
await check(`types, moduleResolution node16: a .cts (require) and a .mts (import) consumer compile with TypeScript ${tsVersion}, skipLibCheck off`, async () => {
  const r = await typeRuns.node16;
  const errors = tscErrors(r.stdout);
  const theirs = errors.filter((e) => e.startsWith('../node_modules/@tensorflow/'));
  const ours = errors.filter((e) => !theirs.includes(e));
  if (ours.length > 0 || (r.code !== 0 && errors.length === 0)) throw new Error(`node16: tsc found errors\n${ours.join('\n') || r.stdout + r.stderr}`);
  // The program holds both declaration flavours: the .cts consumer resolves the \`require\` types
  // (.d.cts), the .mts consumer the \`import\` types (.d.ts).
  const files = r.stdout.split('\n').map((l) => l.trim());
  for (const want of ['index.d.ts', 'index.d.cts', 'wasm.d.ts', 'wasm.d.cts', 'node.d.ts', 'node.d.cts']) {
    assert(files.some((f) => f.endsWith(`/node_modules/tfjs-prune/dist/${want}`)), `dist/${want} is not in the program: tsc resolved\n${files.filter((f) => f.includes('tfjs-prune')).join('\n')}`);
  }
  return `the .cts consumer got the .d.cts types, the .mts consumer the .d.ts types; ${theirs.length} errors inside @tensorflow's own declarations ignored`;
});

await check(`types, moduleResolution bundler: the consumer compiles with TypeScript ${tsVersion}`, async () => {
  const r = await typeRuns.bundler;
  const errors = tscErrors(r.stdout).filter((e) => !e.startsWith('wrong.ts('));
  if (errors.length > 0 || (r.code !== 0 && tscErrors(r.stdout).length === 0)) throw new Error(`bundler: tsc found errors\n${errors.join('\n') || r.stdout + r.stderr}`);
});

await check('types, negative: a wrong use is a type error (TS2322 on the bad line)', async () => {
  const r = await typeRuns.bundler;
  const errors = tscErrors(r.stdout).filter((e) => e.startsWith('wrong.ts('));
  assert(errors.length > 0, `tsc accepted wrong.ts, whose Criterion has needs: ['weights']; the types must be missing or any\n${WRONG_TS}`);
  assert(errors.length === 1 && /^wrong\.ts\(4,\d+\): error TS2322/.test(errors[0]), `expected exactly one error, TS2322 at wrong.ts line 4; tsc said:\n${errors.join('\n')}`);
  return errors[0];
});

// ---------------------------------------------------------------------------------------------
// 5. Browser bundle from the installed package

const esbuild = repoRequire('esbuild');

async function bundle(entryCode, name) {
  const entry = path.join(project, `${name}.js`);
  fs.writeFileSync(entry, entryCode);
  return esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    external: ['@tensorflow/*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: project,
    outfile: path.join(project, `${name}.bundle.js`),
  });
}

function builtinsIn(code) {
  return specifiersOf(code).filter(isBuiltin);
}

await check(`browser bundle (esbuild ${esbuild.version}, platform browser): tfjs-prune + tfjs-prune/wasm import no Node built-in`, async () => {
  let result;
  try {
    result = await bundle(
      `import { analyze, prune, countFlops, pruneIteratively, criteria, createReport } from 'tfjs-prune';\nimport { enableWasmTraining } from 'tfjs-prune/wasm';\nexport { analyze, prune, countFlops, pruneIteratively, criteria, createReport, enableWasmTraining };\n`,
      'browser-entry',
    );
  } catch (e) {
    throw new Error(`esbuild could not bundle tfjs-prune and tfjs-prune/wasm for the browser:\n${(e.errors ?? []).map((m) => `${m.location?.file ?? ''}: ${m.text}`).join('\n') || e.message}`);
  }
  const problems = [];
  const code = result.outputFiles[0].text;
  const found = builtinsIn(code);
  if (found.length > 0) problems.push(`the bundle imports Node built-ins: ${found.join(', ')}`);
  const inputs = Object.keys(result.metafile.inputs);
  const ours = inputs.filter((i) => i.includes('node_modules/tfjs-prune/'));
  for (const i of ours) if (!/node_modules\/tfjs-prune\/dist\/[^/]+\.js$/.test(i)) problems.push(`bundled ${i}: expected only the ESM dist/*.js files`);
  for (const want of ['index.js', 'wasm.js']) if (!ours.some((i) => i.endsWith(`/dist/${want}`))) problems.push(`dist/${want} is not in the bundle`);
  if (ours.some((i) => /\/dist\/node\.js$/.test(i))) problems.push('dist/node.js (the Node entry) ended up in the browser bundle');
  const externals = [...new Set(Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((imp) => imp.external).map((imp) => imp.path)))];
  for (const ext of externals) if (!ext.startsWith('@tensorflow/tfjs')) problems.push(`the bundle leaves ${ext} to be resolved at run time`);
  if (result.warnings.length > 0) problems.push(`esbuild warnings:\n${result.warnings.map((w) => w.text).join('\n')}`);
  assert(problems.length === 0, problems.join('\n'));
  return `${(code.length / 1024).toFixed(0)} kB unminified; external: ${externals.sort().join(', ')}`;
});

await check('browser bundle self-test: bundling tfjs-prune/node for the browser is refused', async () => {
  try {
    const result = await bundle(`export { fileCheckpointStore } from 'tfjs-prune/node';\n`, 'browser-node-entry');
    const found = builtinsIn(result.outputFiles[0].text);
    assert(found.length > 0, 'esbuild bundled tfjs-prune/node for the browser and the check saw no Node built-in in it: the browser check above cannot be trusted');
    return `bundled, with built-ins found: ${found.join(', ')}`;
  } catch (e) {
    const text = (e.errors ?? []).map((m) => m.text).join('\n');
    assert(/node|built into|fs|path|crypto/i.test(text), `esbuild failed for another reason:\n${text || e.message}`);
    return `refused: ${text.split('\n')[0]}`;
  }
});

// ---------------------------------------------------------------------------------------------
// Summary

cleanUp();
const failed = results.filter((r) => r.status === 'failed');
const skipped = results.filter((r) => r.status === 'skipped');
console.log(
  `\n${results.length - failed.length - skipped.length} of ${results.length} package checks passed` +
    `${failed.length ? `, ${failed.length} failed` : ''}${skipped.length ? `, ${skipped.length} skipped` : ''} in ${seconds(performance.now() - started)}.`,
);
if (failed.length > 0) {
  console.log('Failed:');
  for (const r of failed) console.log(`  - ${r.name}: ${r.message.split('\n')[0]}`);
  process.exit(1);
}
if (skipped.length > 0) process.exit(1);
