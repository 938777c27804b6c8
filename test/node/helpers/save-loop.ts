// Child process for kill-during-save.test.ts: saves checkpoints step after step, forever, into the
// directory given as argv[2], starting at step argv[3], printing each step once its save resolved.
// Its weights are bytes derived from the step, so a reader can tell a checkpoint that mixes two
// saves from a whole one. Imports no TF.js: the store itself does not need it.
import type * as tf from '@tensorflow/tfjs';
import { fileCheckpointStore } from '../../../src/node/file-checkpoint-store';

/** Byte value of every weight byte of step `step`'s current (`which` 0) or best (1) model. */
export function fillByte(step: number, which: 0 | 1): number {
  return (step * 31 + which * 7) & 255;
}

/** Model artifacts of a 1-layer Dense model whose weight bytes are all `fill`: `units` 4-byte floats. */
export function fakeArtifacts(units: number, fill: number): tf.io.ModelArtifacts {
  return {
    modelTopology: { class_name: 'Sequential', config: { name: 'fake', layers: [] } },
    weightSpecs: [{ name: 'w', shape: [units], dtype: 'float32' }],
    weightData: new Uint8Array(units * 4).fill(fill).buffer,
  };
}

async function main(): Promise<void> {
  const [dir, start] = [process.argv[2], Number(process.argv[3])];
  const store = fileCheckpointStore(dir);
  const units = 1 << 20; // 4 MB per model, so a kill often lands inside a save
  for (let step = start; ; step++) {
    await store.save({ version: 1, step, model: fakeArtifacts(units, fillByte(step, 0)), best: fakeArtifacts(units, fillByte(step, 1)), state: { step } });
    process.stdout.write(`${step}\n`);
  }
}

if (require.main === module) void main();
