// Every code block in README.md, docs/ and examples/*.md is checked here, so no documentation
// example rots:
// - ```ts blocks are type-checked, each on its own as a module, against the library's source
//   ('tfjs-prune', 'tfjs-prune/node' and 'tfjs-prune/wasm' resolve to src/). The only names a
//   block may use without importing or defining them are declared in doc-globals.d.ts.
// - ```bash / ```sh blocks: every `npm run <script>` names a script of package.json, and every
//   file a command runs (tsx, node, bash) exists.
// - ```json blocks parse.
// - ```text and ```markdown blocks are output samples; any other language, or an unlabeled fence,
//   is an error (label it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkVirtualModules, docCompilerOptions } from './compile-virtual';
import { documentationFiles, markdownBlocks, REPO_ROOT, type MarkdownBlock } from './markdown-blocks';

const OUTPUT_LANGS = new Set(['text', 'markdown']);
const TS_LANGS = new Set(['ts', 'typescript']);
const SHELL_LANGS = new Set(['bash', 'sh']);

const blocks: MarkdownBlock[] = documentationFiles().flatMap((file) =>
  markdownBlocks(file, fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')),
);

const where = (b: MarkdownBlock, offset = 0): string => `${b.file}:${b.line + offset}`;

test('the documentation has code blocks to check (the extraction works)', () => {
  expect(blocks.filter((b) => TS_LANGS.has(b.lang)).length).toBeGreaterThan(40);
  expect(documentationFiles()).toContain('docs/pruning.md');
});

test('every fence is labeled with a checked language', () => {
  const known = (lang: string): boolean => OUTPUT_LANGS.has(lang) || TS_LANGS.has(lang) || SHELL_LANGS.has(lang) || lang === 'json';
  const bad = blocks.filter((b) => !known(b.lang)).map((b) => `${where(b, -1)}: fence labeled '${b.lang}'`);
  expect(bad).toEqual([]);
});

test('json blocks parse', () => {
  const bad: string[] = [];
  for (const b of blocks.filter((x) => x.lang === 'json')) {
    try {
      JSON.parse(b.code);
    } catch (e) {
      bad.push(`${where(b)}: ${(e as Error).message}`);
    }
  }
  expect(bad).toEqual([]);
});

test('shell blocks run npm scripts and files that exist', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const bad: string[] = [];
  for (const b of blocks.filter((x) => SHELL_LANGS.has(x.lang))) {
    b.code.split('\n').forEach((line, i) => {
      const command = line.replace(/#.*$/, '');
      for (const m of command.matchAll(/\bnpm run ([\w:.-]+)/g)) {
        if (!(m[1] in pkg.scripts)) bad.push(`${where(b, i)}: npm script '${m[1]}' does not exist`);
      }
      for (const m of command.matchAll(/\b(?:tsx|node|bash)\s+((?:\.{0,2}\/)?[\w./-]+\.(?:ts|js|mjs|cjs|sh))\b/g)) {
        const file = m[1];
        const fromRoot = path.join(REPO_ROOT, file);
        const fromDoc = path.join(REPO_ROOT, path.dirname(b.file), file);
        if (!fs.existsSync(fromRoot) && !fs.existsSync(fromDoc)) bad.push(`${where(b, i)}: file '${file}' does not exist`);
      }
    });
  }
  expect(bad).toEqual([]);
});

test('ts blocks type-check against the source, each on its own', () => {
  const virtualDir = path.join(REPO_ROOT, '.doc-blocks');
  const files = new Map<string, { block: MarkdownBlock }>();
  const sources = new Map<string, string>();
  blocks
    .filter((b) => TS_LANGS.has(b.lang))
    .forEach((b, i) => {
      const name = path.join(virtualDir, `${b.file.replace(/[^\w]/g, '_')}_${b.line}_${i}.ts`);
      // A block without import/export would be a script; make it a module (top-level await).
      const isModule = /^\s*(import|export)\b/m.test(b.code);
      const text = isModule ? b.code : `${b.code}\nexport {};\n`;
      files.set(name, { block: b });
      sources.set(name, text);
    });
  const problems: string[] = [];
  for (const [name, diagnostics] of checkVirtualModules(sources, docCompilerOptions())) {
    const { block } = files.get(name)!;
    for (const d of diagnostics) problems.push(`${where(block, d.line)}: ${d.message}`);
  }
  expect(problems).toEqual([]);
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = fs.readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of text.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

test('relative links point at files (and headings) that exist', () => {
  const bad: string[] = [];
  for (const file of documentationFiles()) {
    const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8').replace(/^```[\s\S]*?^```/gm, (b) => b.replace(/[^\n]/g, ' '));
    text.split('\n').forEach((line, i) => {
      for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1];
        if (/^[a-z]+:/i.test(target)) continue; // http(s):, mailto:
        const [rel, anchor] = target.split('#');
        const resolved = rel === '' ? path.join(REPO_ROOT, file) : path.join(REPO_ROOT, path.dirname(file), rel);
        if (!fs.existsSync(resolved)) {
          bad.push(`${file}:${i + 1}: link target '${target}' does not exist`);
        } else if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) {
          bad.push(`${file}:${i + 1}: no heading '#${anchor}' in ${path.relative(REPO_ROOT, resolved)}`);
        }
      }
    });
  }
  expect(bad).toEqual([]);
});
