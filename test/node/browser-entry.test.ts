// The source-level twin of tools/check-browser-entry.cjs (which checks the built dist/ in CI):
// the modules reachable from the browser-safe entry points import no Node built-in module.
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';

const src = path.join(__dirname, '..', '..', 'src');
const SPECIFIER = [/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g];

function resolve(from: string, specifier: string): string {
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [`${base}.ts`, path.join(base, 'index.ts'), base];
  const found = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
  if (found === undefined) throw new Error(`${path.relative(src, from)} imports '${specifier}', which does not resolve`);
  return found;
}

/** "file: specifier" for every Node built-in imported by `entry` or a module it reaches (type-only imports included: harmless but a smell). */
function builtinImports(entry: string): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const pending = [path.join(src, entry)];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    // Without comments: JSDoc @examples may show Node code.
    const code = fs
      .readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/(^|\s)\/\/.*$/gm, '$1');
    for (const pattern of SPECIFIER) {
      for (const [, specifier] of code.matchAll(pattern)) {
        if (specifier.startsWith('.')) pending.push(resolve(file, specifier));
        else if (specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0])) found.push(`${path.relative(src, file)}: ${specifier}`);
      }
    }
  }
  return found;
}

describe('browser-safe entry points', () => {
  it.each(['index.ts', 'wasm/index.ts'])('src/%s reaches no Node built-in module', (entry) => {
    expect(builtinImports(entry)).toEqual([]);
  });

  it('the check sees the Node built-ins of src/node/index.ts', () => {
    expect(builtinImports('node/index.ts')).toEqual(expect.arrayContaining([expect.stringMatching(/: node:fs\/promises$/), expect.stringMatching(/: node:crypto$/)]));
  });
});
