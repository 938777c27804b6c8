/**
 * What threads do to the process: a script on the threaded wasm backend exits on its own (no
 * pthread worker keeps it alive), and when the threaded build cannot start, the backend starts
 * single-threaded with exactly one warning.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { enableWasmTraining } from '../../src/wasm';
import type { NodeBuiltins } from '../../src/wasm/node-builtins';
import { nodeBuiltins } from '../../src/wasm/node-builtins';
import { threadedWasmFactory } from '../../src/wasm/threaded-wasm-factory';
import { planWasmThreads } from '../../src/wasm/wasm-threads';

jest.setTimeout(120000);

const maybe = process.env.TFJS_PRUNE_BACKEND === 'cpu' ? describe.skip : describe;

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs test/wasm/threads-child.ts with tsx; kills it (only it) if it has not exited after `ms`. */
function runChild(mode: 'keep' | 'remove', ms = 60000): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'threads-child.ts'), mode], {
      cwd: path.join(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ms);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

maybe('a script on the threaded wasm backend', () => {
  test('exits on its own after training with 2 threads, with the backend kept or removed', async () => {
    // Both scripts at once: each waits mostly on its own start-up.
    const results = await Promise.all([runChild('keep'), runChild('remove')]);
    for (const r of results) {
      expect({ timedOut: r.timedOut, code: r.code, stderr: r.stderr }).toEqual({ timedOut: false, code: 0, stderr: '' });
      const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { threads: number; loss: number[] };
      expect(out.threads).toBe(2);
      expect(out.loss).toHaveLength(2);
      out.loss.forEach((l) => expect(Number.isFinite(l)).toBe(true));
    }
  });
});

maybe('when the threaded build cannot start', () => {
  test('the backend starts single-threaded, with one warning saying why, and computes the same', async () => {
    await tf.setBackend('wasm');
    // Made afresh on whichever wasm backend is current (a removed backend's tensors are gone).
    const gradOf = () =>
      tf.tidy(() => {
        const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
        const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2);
        return Array.from(tf.grad((f: tf.Tensor) => tf.conv2d(x, f as tf.Tensor4D, 1, 'same').square().sum())(w).dataSync());
      });
    const expected = gradOf();
    const real = nodeBuiltins() as NodeBuiltins;
    const broken: NodeBuiltins = {
      ...real,
      Worker: class {
        constructor() {
          throw new Error('no workers on this host');
        }
      } as unknown as NodeBuiltins['Worker'],
    };
    const original = tf.findBackendFactory('wasm');
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      tf.removeBackend('wasm');
      tf.registerBackend('wasm', threadedWasmFactory(original, 2, broken), 2);
      expect(await tf.setBackend('wasm')).toBe(true);
      expect(wasm.getThreadsCount()).toBe(1);
      const ours = warn.mock.calls.filter((c) => String(c[0]).startsWith('tfjs-prune:'));
      expect(ours).toHaveLength(1);
      expect(String(ours[0][0])).toMatch(/could not start 2 threads in Node \(no workers on this host\); it runs single-threaded instead/);
      expect(gradOf()).toEqual(expected);
    } finally {
      warn.mockRestore();
      tf.removeBackend('wasm');
      tf.registerBackend('wasm', original, 2);
      await tf.setBackend('wasm');
    }
  });

  test('a Node without process.getBuiltinModule: one warning, nothing changed', () => {
    const factory = tf.findBackendFactory('wasm');
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const had = Object.getOwnPropertyDescriptor(process, 'getBuiltinModule');
    Object.defineProperty(process, 'getBuiltinModule', { value: undefined, configurable: true, writable: true });
    try {
      expect(planWasmThreads(2)).toEqual({ kind: 'keep', warning: expect.stringMatching(/has no process.getBuiltinModule \(needs Node 20.16\+ or 22.3\+\)/) });
      enableWasmTraining({ threads: 2 });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(tf.findBackendFactory('wasm')).toBe(factory);
    } finally {
      if (had) Object.defineProperty(process, 'getBuiltinModule', had);
      else delete (process as { getBuiltinModule?: unknown }).getBuiltinModule;
      warn.mockRestore();
    }
  });
});
