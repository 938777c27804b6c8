import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A new empty directory under the OS temp directory; `cleanup()` removes it with everything in it. */
export function makeTempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-prune-test-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Sorted names in `dir`, with a trailing '/' on directories. */
export function listing(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
    .sort();
}

/** The live checkpoint directory named by `<dir>/CURRENT` (its first line). */
export function liveDir(dir: string): string {
  return path.join(dir, fs.readFileSync(path.join(dir, 'CURRENT'), 'utf8').split('\n')[0]);
}
