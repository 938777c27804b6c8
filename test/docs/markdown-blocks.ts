import * as fs from 'node:fs';
import * as path from 'node:path';

/** One fenced code block of a markdown file. */
export interface MarkdownBlock {
  /** Path of the markdown file, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the block's first code line (the line after the opening fence). */
  readonly line: number;
  /** The info string's first word (`ts`, `bash`, ...); '' for an unlabeled fence. */
  readonly lang: string;
  readonly code: string;
}

/** The repository root (two levels above this file). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * Every fenced block (``` or ~~~, at least three) of a markdown text. Nested fences of a
 * different or shorter marker stay inside the block, as CommonMark says.
 */
export function markdownBlocks(file: string, text: string): MarkdownBlock[] {
  const lines = text.split('\n');
  const blocks: MarkdownBlock[] = [];
  let open: { fence: string; lang: string; start: number; body: string[] } | null = null;
  lines.forEach((raw, i) => {
    const fence = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(raw);
    if (open === null) {
      if (fence) open = { fence: fence[1], lang: fence[2].toLowerCase(), start: i + 2, body: [] };
      return;
    }
    const closing = fence && fence[1][0] === open.fence[0] && fence[1].length >= open.fence.length && fence[2] === '';
    if (closing) {
      blocks.push({ file, line: open.start, lang: open.lang, code: open.body.join('\n') });
      open = null;
    } else {
      open.body.push(raw);
    }
  });
  if (open !== null) throw new Error(`${file}: a code fence opened at line ${(open as { start: number }).start - 1} is never closed.`);
  return blocks;
}

/** README.md and every markdown file under docs/ (generated docs/api excluded) and examples/. */
export function documentationFiles(): string[] {
  const found: string[] = ['README.md'];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (rel !== 'docs/api' && entry.name !== 'node_modules' && entry.name !== 'dist') walk(rel);
      } else if (entry.name.endsWith('.md')) {
        found.push(rel);
      }
    }
  };
  for (const dir of ['docs', 'examples']) if (fs.existsSync(path.join(REPO_ROOT, dir))) walk(dir);
  for (const top of ['CONTRIBUTING.md', 'CHANGELOG.md']) if (fs.existsSync(path.join(REPO_ROOT, top))) found.push(top);
  return found.sort();
}
