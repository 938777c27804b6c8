// Runs after tsup (npm run build) so that dist/ matches package.json `exports` for every entry:
// - ESM files are dist/*.js: dist/package.json marks them as modules for Node (the root package
//   is "type": "commonjs"); the CommonJS files are dist/*.cjs and stay CommonJS.
// - tsup names declarations by the root package type (.d.ts, .d.mts) and ignores `outExtension`
//   for them; `require` consumers are pointed at .d.cts, so each .d.ts gets a .d.cts twin whose
//   relative imports name the .cjs twins. The unused .d.mts files are removed.
// - tsup's CommonJS source maps name the intermediate file by its absolute build path (`file`, and
//   a first source without content, e.g. /home/me/tfjs-prune/dist/index.cjs): paths that exist on
//   no user's machine. They are made relative to dist/ (the .cjs file itself, which is shipped).
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
fs.writeFileSync(path.join(dist, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
for (const file of fs.readdirSync(dist)) {
  if (file.endsWith('.d.mts')) fs.rmSync(path.join(dist, file));
  if (!file.endsWith('.d.ts')) continue;
  const text = fs.readFileSync(path.join(dist, file), 'utf8');
  const cts = text.replace(/(from\s+['"]\.{1,2}\/[^'"]+)\.js(['"])/g, '$1.cjs$2');
  fs.writeFileSync(path.join(dist, file.replace(/\.d\.ts$/, '.d.cts')), cts);
}
for (const file of fs.readdirSync(dist)) {
  if (!file.endsWith('.map')) continue;
  const map = JSON.parse(fs.readFileSync(path.join(dist, file), 'utf8'));
  const local = (p) => (typeof p === 'string' && path.isAbsolute(p) ? path.relative(dist, p).split(path.sep).join('/') : p);
  if (map.file !== undefined) map.file = local(map.file);
  map.sources = map.sources.map(local);
  fs.writeFileSync(path.join(dist, file), JSON.stringify(map));
}
