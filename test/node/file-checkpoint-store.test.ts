import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Checkpoint } from '../../src/checkpoint/checkpoint-store';
import { modelFromArtifacts, modelToArtifacts } from '../../src/checkpoint/model-artifacts';
import { nodeCheckpointFs, type CheckpointFs } from '../../src/node/checkpoint-fs';
import { createFileCheckpointStore, fileCheckpointStore } from '../../src/node/file-checkpoint-store';
import { comparable } from '../checkpoint/comparable';
import { convBnDenseModel, predictionOf, separableModel } from '../checkpoint/models';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { PruneError } from '../../src/errors';
import { listing, liveDir, makeTempDir } from './temp-dir';

let model: tf.LayersModel;
let best: tf.LayersModel;
let dir: string;
let cleanup: () => void;
beforeAll(() => {
  model = convBnDenseModel();
  best = separableModel();
});
afterAll(() => {
  model.dispose();
  best.dispose();
});
beforeEach(() => {
  ({ dir, cleanup } = makeTempDir());
  dir = path.join(dir, 'run'); // the store creates it
});
afterEach(() => cleanup());

async function checkpoint(step: number, withBest = true): Promise<Checkpoint> {
  return {
    version: 1,
    step,
    model: await modelToArtifacts(model),
    ...(withBest ? { best: await modelToArtifacts(best) } : {}),
    state: { step, history: [{ step, accuracy: 0.5 + step / 100 }], note: 'é ✓' },
  };
}

/** Reads a model directory written by the store the way a plain TF.js user would: two files, tf.io.fromMemory. */
async function loadWithPlainTfjs(modelDir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  expect(json.weightsManifest).toEqual([{ paths: ['weights.bin'], weights: expect.any(Array) }]);
  const bytes = fs.readFileSync(path.join(modelDir, 'weights.bin'));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
}

describe('fileCheckpointStore', () => {
  it('load() is null when the directory, or its CURRENT pointer, does not exist', async () => {
    expect(await fileCheckpointStore(dir).load()).toBeNull();
    fs.mkdirSync(dir);
    expect(await fileCheckpointStore(dir).load()).toBeNull();
  });

  it('round-trips a checkpoint: equal data, identical predictions, no tensor leak', async () => {
    const saved = await checkpoint(3);
    await fileCheckpointStore(dir).save(saved);
    const loaded = await fileCheckpointStore(dir).load(); // a new store, as after a restart
    expect(comparable(loaded)).toEqual(comparable(saved));
    const before = tf.memory().numTensors;
    const current = await modelFromArtifacts(loaded!.model);
    const last = await modelFromArtifacts(loaded!.best!);
    expect(predictionOf(current)).toEqual(predictionOf(model));
    expect(predictionOf(last)).toEqual(predictionOf(best));
    current.dispose();
    last.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('lays the checkpoint out as CURRENT + a directory of TF.js model directories and state.json', async () => {
    await fileCheckpointStore(dir).save(await checkpoint(3));
    const live = liveDir(dir);
    expect(path.basename(live)).toMatch(/^checkpoint-000003-[0-9a-f]{8}$/);
    expect(listing(dir)).toEqual(['CURRENT', `${path.basename(live)}/`]);
    expect(listing(live)).toEqual(['best/', 'model.json', 'state.json', 'weights.bin']);
    expect(listing(path.join(live, 'best'))).toEqual(['model.json', 'weights.bin']);
    const state = JSON.parse(fs.readFileSync(path.join(live, 'state.json'), 'utf8'));
    expect(state).toMatchObject({ format: 'tfjs-prune checkpoint', version: 1, step: 3, best: true, state: { step: 3, note: 'é ✓' } });
    expect(Object.keys(state.files).sort()).toEqual(['best/model.json', 'best/weights.bin', 'model.json', 'weights.bin']);

    // Both model directories load with plain TF.js from their two files.
    const current = await loadWithPlainTfjs(live);
    const last = await loadWithPlainTfjs(path.join(live, 'best'));
    expect(predictionOf(current)).toEqual(predictionOf(model));
    expect(predictionOf(last)).toEqual(predictionOf(best)); // depth multipliers kept in model.json
    current.dispose();
    last.dispose();
  });

  it('a second save replaces the first, and best may be left out', async () => {
    const store = fileCheckpointStore(dir);
    await store.save(await checkpoint(1));
    const first = liveDir(dir);
    await store.save(await checkpoint(2, false));
    const loaded = (await store.load()) as Checkpoint;
    expect(loaded.step).toBe(2);
    expect('best' in loaded).toBe(false);
    expect(fs.existsSync(first)).toBe(false);
    expect(listing(dir)).toEqual(['CURRENT', `${path.basename(liveDir(dir))}/`]);
    expect(listing(liveDir(dir))).toEqual(['model.json', 'state.json', 'weights.bin']);
  });

  it('clear() removes the checkpoint and the directory, but never files it did not write', async () => {
    const store = fileCheckpointStore(dir);
    await store.save(await checkpoint(1));
    await store.clear();
    expect(await store.load()).toBeNull();
    expect(fs.existsSync(dir)).toBe(false);

    await store.save(await checkpoint(1));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    await store.clear();
    expect(listing(dir)).toEqual(['notes.txt']);
    await store.clear(); // nothing to clear: fine
  });

  it('ignores leftovers of interrupted saves, and the next save removes them (only them)', async () => {
    const store = fileCheckpointStore(dir);
    await store.save(await checkpoint(1));
    const live = path.basename(liveDir(dir));
    fs.mkdirSync(path.join(dir, '.tmp-2-deadbeef'));
    fs.writeFileSync(path.join(dir, '.tmp-2-deadbeef', 'weights.bin'), 'half');
    fs.writeFileSync(path.join(dir, '.tmp-CURRENT-0badc0de'), 'checkpoint-000002-deadbeef\n');
    fs.mkdirSync(path.join(dir, 'checkpoint-000002-abcdef01')); // renamed, but the pointer never switched
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    fs.mkdirSync(path.join(dir, 'checkpoint-mine'));

    expect((await fileCheckpointStore(dir).load())!.step).toBe(1);
    await store.save(await checkpoint(2));
    expect(listing(dir)).toEqual(['CURRENT', `${path.basename(liveDir(dir))}/`, 'checkpoint-mine/', 'notes.txt']);
    expect(path.basename(liveDir(dir))).not.toBe(live);
  });

  it('runs calls on one store one after the other', async () => {
    const store = fileCheckpointStore(dir, { sync: false });
    const [a, b] = [await checkpoint(1), await checkpoint(2)];
    const results = await Promise.all([store.save(a), store.load(), store.save(b), store.load(), store.clear(), store.load()]);
    expect((results[1] as Checkpoint).step).toBe(1);
    expect((results[3] as Checkpoint).step).toBe(2);
    expect(results[5]).toBeNull();
  });

  it('refuses a malformed checkpoint before writing anything, and bad options', async () => {
    const good = await checkpoint(1);
    await expectPruneErrorAsync(() => fileCheckpointStore(dir).save({ ...good, version: 2 } as unknown as Checkpoint), 'CHECKPOINT_INVALID', 'checkpoint.version');
    await expectPruneErrorAsync(() => fileCheckpointStore(dir).save({ ...good, state: { loss: Infinity } }), 'CHECKPOINT_INVALID', 'checkpoint.state.loss is Infinity');
    expect(fs.existsSync(dir)).toBe(false);
    await expectPruneErrorAsync(async () => fileCheckpointStore(''), 'INVALID_OPTION', 'directory');
    await expectPruneErrorAsync(async () => fileCheckpointStore(dir, { sync: 'yes' as unknown as boolean }), 'INVALID_OPTION', 'sync');
    await expectPruneErrorAsync(async () => fileCheckpointStore(dir, { fsync: false } as never), 'INVALID_OPTION', 'unknown option(s) fsync');
  });
});

describe('fileCheckpointStore after a crash in the middle of a save', () => {
  /**
   * File operations that work until `crashes(op, target)` says so, then act like a killed process:
   * that call fails (a write leaves half its data behind) and so does every later call, so the
   * store's own clean-up cannot run either.
   */
  function dyingFs(crashes: (op: string, target: string) => boolean): CheckpointFs {
    let dead = false;
    const guard =
      <A extends unknown[], R>(op: string, fn: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        if (!dead && crashes(op, path.relative(dir, String(args[0])))) {
          dead = true;
          if (op === 'writeFile') fs.writeFileSync(String(args[0]), (args[1] as Uint8Array).subarray(0, (args[1] as Uint8Array).length >> 1));
          throw new Error(`killed at ${op} ${String(args[0])}`);
        }
        if (dead) throw new Error('the process is dead');
        return fn(...args);
      };
    const real = nodeCheckpointFs;
    return {
      mkdir: guard('mkdir', real.mkdir),
      readFile: guard('readFile', real.readFile),
      readdir: guard('readdir', real.readdir),
      rename: guard('rename', real.rename),
      remove: guard('remove', real.remove),
      removeEmptyDir: guard('removeEmptyDir', real.removeEmptyDir),
      writeFile: guard('writeFile', real.writeFile),
      syncDir: guard('syncDir', real.syncDir),
    };
  }

  const beforeSwitch: Array<[string, (op: string, target: string) => boolean]> = [
    ['creating best/ in the temporary directory', (op, t) => op === 'mkdir' && t.startsWith('.tmp-') && t.endsWith('best')],
    ['writing weights.bin', (op, t) => op === 'writeFile' && /^\.tmp-2-[0-9a-f]+\/weights\.bin$/.test(t)],
    ['writing best/weights.bin', (op, t) => op === 'writeFile' && t.endsWith('best/weights.bin')],
    ['writing state.json', (op, t) => op === 'writeFile' && t.endsWith('state.json')],
    ['flushing the temporary directory', (op, t) => op === 'syncDir' && t.startsWith('.tmp-')],
    ['renaming the temporary directory', (op, t) => op === 'rename' && /^\.tmp-2-/.test(t)],
    ['writing the new pointer', (op, t) => op === 'writeFile' && t.startsWith('.tmp-CURRENT-')],
    ['renaming the new pointer over CURRENT', (op, t) => op === 'rename' && t.startsWith('.tmp-CURRENT-')],
  ];

  it.each(beforeSwitch)('killed while %s: the previous checkpoint stays loadable, the next save cleans up', async (_what, crashes) => {
    const first = await checkpoint(1);
    await fileCheckpointStore(dir).save(first);
    await expect(createFileCheckpointStore(dir, {}, dyingFs(crashes)).save(await checkpoint(2))).rejects.toThrow(/killed at/);
    expect(listing(dir).length).toBeGreaterThan(2); // the crash left something behind

    const store = fileCheckpointStore(dir); // the restarted process
    expect(comparable(await store.load())).toEqual(comparable(first));
    await store.save(await checkpoint(3));
    expect(listing(dir)).toEqual(['CURRENT', `${path.basename(liveDir(dir))}/`]);
    expect((await store.load())!.step).toBe(3);
  });

  it('killed right after the switch: the new checkpoint is the live one', async () => {
    await fileCheckpointStore(dir).save(await checkpoint(1));
    let syncs = 0;
    const second = await checkpoint(2);
    const crashes = (op: string, t: string) => op === 'syncDir' && t === '' && ++syncs === 2; // the flush after renaming CURRENT
    await expect(createFileCheckpointStore(dir, {}, dyingFs(crashes)).save(second)).rejects.toThrow(/killed at/);
    const store = fileCheckpointStore(dir);
    expect(comparable(await store.load())).toEqual(comparable(second));
    expect(listing(dir).filter((n) => n.startsWith('checkpoint-'))).toHaveLength(2); // the old one was not removed yet
    await store.save(await checkpoint(3));
    expect(listing(dir)).toEqual(['CURRENT', `${path.basename(liveDir(dir))}/`]);
  });

  it('a failed write that the process survives (disk full) is cleaned up at once and rethrown as is', async () => {
    await fileCheckpointStore(dir).save(await checkpoint(1));
    const full = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const failing: CheckpointFs = {
      ...nodeCheckpointFs,
      writeFile: async (file, data, sync) => {
        if (file.endsWith('state.json')) throw full;
        return nodeCheckpointFs.writeFile(file, data, sync);
      },
    };
    await expect(createFileCheckpointStore(dir, {}, failing).save(await checkpoint(2))).rejects.toBe(full);
    expect(listing(dir)).toEqual(['CURRENT', `${path.basename(liveDir(dir))}/`]);
    expect((await fileCheckpointStore(dir).load())!.step).toBe(1);
  });
});

describe('fileCheckpointStore with a damaged checkpoint', () => {
  async function damaged(damage: (live: string) => void): Promise<PruneError> {
    await fileCheckpointStore(dir).save(await checkpoint(4));
    damage(liveDir(dir));
    return expectPruneErrorAsync(() => fileCheckpointStore(dir).load(), 'CHECKPOINT_INVALID', `delete the directory '${dir}'`);
  }

  it('a corrupted state.json', async () => {
    const err = await damaged((live) => fs.writeFileSync(path.join(live, 'state.json'), '{"format": "tfjs-prune checkpoint", "vers'));
    expect(err.message).toMatch(/state\.json has 41 bytes and a SHA-256 other than the checksum recorded in/);
  });

  it('an unknown format version', async () => {
    const err = await damaged((live) => {
      const file = path.join(live, 'state.json');
      fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), version: 2 }));
    });
    expect(err.message).toContain('has checkpoint format version 2, but this tfjs-prune reads version 1 only');
    expect(err.message).toContain('newer');
  });

  it('a flipped byte or a cut in weights.bin, a missing best/model.json', async () => {
    let err = await damaged((live) => {
      const file = path.join(live, 'weights.bin');
      const bytes = fs.readFileSync(file);
      bytes[10] ^= 0xff;
      fs.writeFileSync(file, bytes);
    });
    expect(err.message).toMatch(/weights\.bin has \d+ bytes and a SHA-256 other than/);
    cleanup();
    ({ dir, cleanup } = makeTempDir());
    err = await damaged((live) => fs.truncateSync(path.join(live, 'best', 'weights.bin'), 100));
    expect(err.message).toContain(path.join('best', 'weights.bin'));
    cleanup();
    ({ dir, cleanup } = makeTempDir());
    err = await damaged((live) => fs.rmSync(path.join(live, 'best', 'model.json')));
    expect(err.message).toContain(`${path.join('best', 'model.json')} is missing`);
  });

  it('a one-bit change in state.json (a digit of the loop state), which stays valid JSON', async () => {
    const err = await damaged((live) => {
      const file = path.join(live, 'state.json');
      const text = fs.readFileSync(file, 'utf8');
      const at = text.indexOf('"accuracy": 0.54') + '"accuracy": 0.5'.length; // '4' -> '5': one bit (0x34 ^ 0x01)
      fs.writeFileSync(file, text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ 1) + text.slice(at + 1));
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).state.history[0].accuracy).toBe(0.55);
    });
    expect(err.message).toMatch(/state\.json has \d+ bytes and a SHA-256 other than the checksum recorded in .*CURRENT/);
  });

  it('a CURRENT that names nothing, or a directory that is gone', async () => {
    let err = await damaged(() => fs.writeFileSync(path.join(dir, 'CURRENT'), 'garbage'));
    expect(err.message).toContain(`${path.join(dir, 'CURRENT')} should hold two lines, the name of a checkpoint directory`);
    cleanup();
    ({ dir, cleanup } = makeTempDir());
    err = await damaged((live) => fs.rmSync(live, { recursive: true }));
    expect(err.message).toContain('state.json is missing');
  });

  it('a damaged checkpoint does not stop the next save', async () => {
    await damaged((live) => fs.writeFileSync(path.join(live, 'state.json'), 'x'));
    const store = fileCheckpointStore(dir);
    await store.save(await checkpoint(5));
    expect((await store.load())!.step).toBe(5);
  });
});
