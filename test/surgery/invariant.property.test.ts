import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { input } from '../helpers/arange';
import { checkInvariant } from '../helpers/check-invariant';
import { randomRemovals } from '../helpers/random-removals';
import {
  architecture,
  buildFunctional,
  buildSequential,
  functionalStep,
  INPUT_SHAPE,
  roundTrips,
  sequentialStep,
  type Architecture,
} from '../helpers/random-architecture';

async function holds(build: (a: Architecture) => tf.LayersModel, arch: Architecture, seed: number, fraction: number): Promise<void> {
  const start = tf.memory().numTensors;
  const model = build(arch);
  const x = input([2, ...INPUT_SHAPE], seed);
  try {
    const removals = randomRemovals(model, seed, fraction);
    await checkInvariant(model, removals, x, 1e-5, { roundTrip: roundTrips(arch) });
  } finally {
    x.dispose();
    model.dispose();
  }
  expect(tf.memory().numTensors).toBe(start);
}

describe('surgery invariant on generated architectures (fast-check)', () => {
  test('functional models: residual merges, forks, concatenations, depthwise, flatten/GAP heads', async () => {
    await fc.assert(
      fc.asyncProperty(architecture(functionalStep), fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.double({ min: 0.1, max: 0.9, noNaN: true }), (arch, seed, fraction) =>
        holds(buildFunctional, arch, seed, fraction),
      ),
      { numRuns: 80, seed: 20261125 },
    );
  });

  test('sequential models', async () => {
    await fc.assert(
      fc.asyncProperty(architecture(sequentialStep), fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.double({ min: 0.1, max: 0.9, noNaN: true }), (arch, seed, fraction) =>
        holds(buildSequential, arch, seed, fraction),
      ),
      { numRuns: 50, seed: 7 },
    );
  });
});
