import { PruneError, type PruneErrorCode } from '../../src/errors';

/** Awaits `fn` and asserts it rejects with a PruneError of `code` whose message holds every fragment. */
export async function expectPruneErrorAsync(fn: () => Promise<unknown>, code: PruneErrorCode, ...fragments: string[]): Promise<PruneError> {
  let thrown: unknown;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(PruneError);
  const err = thrown as PruneError;
  expect({ code: err.code, message: err.message }).toEqual({ code, message: expect.any(String) });
  fragments.forEach((f) => expect(err.message).toContain(f));
  return err;
}

/** Calls `fn` and asserts it throws a PruneError of `code` whose message holds every fragment. */
export function expectPruneError(fn: () => unknown, code: PruneErrorCode, ...fragments: string[]): PruneError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(PruneError);
  const err = thrown as PruneError;
  expect({ code: err.code, message: err.message }).toEqual({ code, message: expect.any(String) });
  fragments.forEach((f) => expect(err.message).toContain(f));
  return err;
}
