import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { Checkpoint } from '../../src/checkpoint/checkpoint-store';
import { modelToArtifacts } from '../../src/checkpoint/model-artifacts';
import { PruneError } from '../../src/errors';
import { fileCheckpointStore } from '../../src/node/file-checkpoint-store';
import { comparable } from '../checkpoint/comparable';
import { convBnDenseModel, separableModel } from '../checkpoint/models';
import { liveDir, makeTempDir } from './temp-dir';

jest.setTimeout(120000);

/** Every file of a saved checkpoint, relative to the store's directory ('*' is the live checkpoint directory). */
const FILES = ['CURRENT', '*/state.json', '*/model.json', '*/weights.bin', '*/best/model.json', '*/best/weights.bin'] as const;
type Target = (typeof FILES)[number] | '*';

/** One fault a disk, a person or a program can inflict on a stored checkpoint. */
type Fault =
  | { kind: 'flip'; file: (typeof FILES)[number]; at: number; bit: number }
  /** The low bit of one ASCII digit: the file stays valid JSON ('8' -> '9', as a stream offset). */
  | { kind: 'digit'; file: (typeof FILES)[number]; at: number }
  | { kind: 'truncate'; file: (typeof FILES)[number]; at: number }
  | { kind: 'append'; file: (typeof FILES)[number]; bytes: number[] }
  | { kind: 'delete'; file: Target }
  | { kind: 'rename'; file: Target; suffix: string };

const file = fc.constantFrom(...FILES);
const target = fc.constantFrom<Target>(...FILES, '*');
const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), file, at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('digit' as const), file, at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }),
  fc.record({ kind: fc.constant('truncate' as const), file, at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }),
  fc.record({ kind: fc.constant('append' as const), file, bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), file: target }),
  fc.record({ kind: fc.constant('rename' as const), file: target, suffix: fc.constantFrom('.bak', '~', '.old', '-copy') }),
);

/** Applies a fault in `dir`; false when it had nothing to act on (its file was already gone). */
function inflict(dir: string, f: Fault): boolean {
  const live = fs.existsSync(path.join(dir, 'CURRENT')) ? liveDirOrNull(dir) : null;
  const resolve = (t: Target): string | null => {
    if (t === 'CURRENT') return path.join(dir, 'CURRENT');
    if (live === null) return null;
    return t === '*' ? live : path.join(live, t.slice(2));
  };
  const p = resolve(f.file);
  if (p === null || !fs.existsSync(p)) return false;
  switch (f.kind) {
    case 'flip': {
      const bytes = fs.readFileSync(p);
      if (bytes.length === 0) return false;
      bytes[Math.floor(f.at * bytes.length)] ^= 1 << f.bit;
      fs.writeFileSync(p, bytes);
      return true;
    }
    case 'digit': {
      const bytes = fs.readFileSync(p);
      const digits = [...bytes.keys()].filter((i) => bytes[i] >= 0x30 && bytes[i] <= 0x39);
      if (digits.length === 0) return false;
      bytes[digits[Math.floor(f.at * digits.length)]] ^= 1;
      fs.writeFileSync(p, bytes);
      return true;
    }
    case 'truncate': {
      const size = fs.statSync(p).size;
      fs.truncateSync(p, Math.floor(f.at * size)); // strictly shorter
      return size > 0;
    }
    case 'append':
      fs.appendFileSync(p, Buffer.from(f.bytes));
      return true;
    case 'delete':
      fs.rmSync(p, { recursive: true });
      return true;
    case 'rename':
      fs.renameSync(p, `${p}${f.suffix}`);
      return true;
  }
}

function liveDirOrNull(dir: string): string | null {
  const name = fs.readFileSync(path.join(dir, 'CURRENT'), 'utf8').split('\n')[0];
  return /^checkpoint-\d+-[0-9a-f]{8}$/.test(name) ? liveDir(dir) : null;
}

describe('fileCheckpointStore against random corruption of every file (property)', () => {
  let saved: Checkpoint;
  let pristine: string;
  let cleanup: () => void;
  beforeAll(async () => {
    const model = convBnDenseModel();
    const best = separableModel();
    saved = { version: 1, step: 7, model: await modelToArtifacts(model), best: await modelToArtifacts(best), state: { step: 7, stream: { epoch: 1, offset: 8 }, history: [{ loss: 0.25 }] } };
    model.dispose();
    best.dispose();
    const tmp = makeTempDir();
    cleanup = tmp.cleanup;
    pristine = path.join(tmp.dir, 'pristine');
    await fileCheckpointStore(pristine, { sync: false }).save(saved);
  });
  afterAll(() => cleanup());

  test('any change is refused (CHECKPOINT_INVALID) or, for a lost CURRENT only, reads as no checkpoint; never a different checkpoint', async () => {
    let n = 0;
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(fault, { minLength: 1, maxLength: 3 }), async (faults) => {
        const dir = path.join(path.dirname(pristine), `case-${n++}`);
        fs.cpSync(pristine, dir, { recursive: true });
        try {
          const applied = faults.filter((f) => inflict(dir, f));
          fc.pre(applied.length > 0);
          let outcome: 'invalid' | 'null' | 'loaded';
          let loaded: Checkpoint | null = null;
          try {
            loaded = await fileCheckpointStore(dir).load();
            outcome = loaded === null ? 'null' : 'loaded';
          } catch (e) {
            if (!(e instanceof PruneError) || e.code !== 'CHECKPOINT_INVALID') throw e;
            expect(e.message).toContain(`delete the directory '${dir}'`);
            outcome = 'invalid';
          }
          const currentLost = applied.some((f) => (f.kind === 'delete' || f.kind === 'rename') && f.file === 'CURRENT');
          // What the docs promise: a lost CURRENT is "no checkpoint" (it cannot be told from a first
          // save killed before its switch); anything else is refused; nothing else is ever loaded.
          expect(outcome).toBe(currentLost ? 'null' : 'invalid');
          if (loaded !== null) expect(comparable(loaded)).toEqual(comparable(saved));
          for (const f of applied) seen.set(`${f.kind} ${f.file}`, (seen.get(`${f.kind} ${f.file}`) ?? 0) + 1);

          // The store goes on: the next save replaces the damage, and loads back.
          const store = fileCheckpointStore(dir, { sync: false });
          await store.save({ ...saved, step: 8 });
          expect((await store.load())!.step).toBe(8);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 100, seed: 1313 },
    );
    // Every fault kind hit every file at least once over the runs (the generator is not starved).
    for (const f of FILES) for (const kind of ['flip', 'digit', 'truncate', 'append', 'delete', 'rename']) expect(seen.get(`${kind} ${f}`) ?? 0).toBeGreaterThan(0);
  });
});
