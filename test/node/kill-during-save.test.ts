import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Checkpoint } from '../../src/checkpoint/checkpoint-store';
import { fileCheckpointStore } from '../../src/node/file-checkpoint-store';
import { fillByte } from './helpers/save-loop';
import { listing, liveDir, makeTempDir } from './temp-dir';

const root = path.join(__dirname, '..', '..');
const script = path.join(__dirname, 'helpers', 'save-loop.ts');

/** Runs the save loop from step `start`, SIGKILLs it `delayMs` after its `after`-th save resolved; the last step it reported. */
function runAndKill(dir: string, start: number, after: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, String(start)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killing = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const done = out.split('\n').filter((l) => l !== '').length;
      if (!killing && done >= after) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      // 'close', not 'exit': all of stdout has been read by then.
      if (signal !== 'SIGKILL') return reject(new Error(`save loop exited with ${code}: ${err}`));
      const steps = out.split('\n').filter((l) => l !== '').map(Number);
      resolve(steps[steps.length - 1]);
    });
  });
}

function expectWhole(cp: Checkpoint): void {
  const all = (data: unknown, fill: number) => new Uint8Array(data as ArrayBuffer).every((b) => b === fill);
  expect(all(cp.model.weightData, fillByte(cp.step, 0))).toBe(true);
  expect(all(cp.best!.weightData, fillByte(cp.step, 1))).toBe(true);
  expect(cp.state).toEqual({ step: cp.step });
}

describe('fileCheckpointStore when the saving process is killed (SIGKILL)', () => {
  it('always finds a whole checkpoint: the last one reported done, or the one after it', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      let next = 1;
      for (const delayMs of [10, 30, 50, 70, 90]) {
        const reported = await runAndKill(dir, next, 2, delayMs);
        const cp = (await fileCheckpointStore(dir).load()) as Checkpoint;
        expect(cp).not.toBeNull();
        expect([reported, reported + 1]).toContain(cp.step);
        expectWhole(cp);
        next = cp.step + 1;
      }
      // A normal save afterwards leaves only the new checkpoint.
      const store = fileCheckpointStore(dir);
      const last = (await store.load()) as Checkpoint;
      await store.save({ ...last, step: last.step + 1 });
      expect(listing(dir)).toEqual(['CURRENT', `${path.basename(liveDir(dir))}/`]);
      expect(fs.existsSync(path.join(liveDir(dir), 'best', 'weights.bin'))).toBe(true);
    } finally {
      cleanup();
    }
  });
});
