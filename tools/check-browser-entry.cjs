// Runs after `npm run build`: checks that the browser-safe entry points (tfjs-prune and
// tfjs-prune/wasm, ESM and CommonJS) and every chunk they import never import a Node built-in
// module (node:fs, fs, path, crypto, ...). Only the tfjs-prune/node entry may; as a self-test, the
// check must find its imports there. Exits with status 1 and the offending files otherwise.
const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');

const dist = path.join(__dirname, '..', 'dist');
const BROWSER_ENTRIES = ['index.js', 'index.cjs', 'wasm.js', 'wasm.cjs'];
const NODE_ENTRIES = ['node.js', 'node.cjs'];
const SPECIFIER = [
  /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, // import x from '...', export { x } from '...'
  /\bimport\s*['"]([^'"]+)['"]/g, // import '...'
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, // import('...')
  /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g, // require('...')
];

function isBuiltin(specifier) {
  return specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]);
}

/** Every Node built-in imported by `entry` or a file it imports (relative imports followed), as "file: specifier". */
function builtinImports(entry) {
  const found = [];
  const seen = new Set();
  const pending = [path.join(dist, entry)];
  while (pending.length > 0) {
    const file = pending.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    if (!fs.existsSync(file)) throw new Error(`${path.relative(dist, file)} is missing: run npm run build first.`);
    const code = fs.readFileSync(file, 'utf8');
    for (const pattern of SPECIFIER) {
      for (const [, specifier] of code.matchAll(pattern)) {
        if (specifier.startsWith('.')) pending.push(path.resolve(path.dirname(file), specifier));
        else if (isBuiltin(specifier)) found.push(`${path.relative(dist, file)}: ${specifier}`);
      }
    }
  }
  return found;
}

let failed = false;
for (const entry of BROWSER_ENTRIES) {
  const found = builtinImports(entry);
  if (found.length > 0) {
    failed = true;
    console.error(`dist/${entry} must run in a browser but imports Node built-ins:\n  ${found.join('\n  ')}`);
  }
}
for (const entry of NODE_ENTRIES) {
  if (builtinImports(entry).length === 0) {
    failed = true;
    console.error(`dist/${entry} imports no Node built-in as far as this check can see: the check itself is broken.`);
  }
}
if (failed) process.exit(1);
console.log(`Browser entries (${BROWSER_ENTRIES.join(', ')}) import no Node built-in module.`);
