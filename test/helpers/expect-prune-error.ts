import { PruneError, type PruneErrorCode } from '../../src/errors';

/** Asserts `thrown` is a PruneError of `code` (named 'PruneError') whose message holds every fragment. */
function checkPruneError(thrown: unknown, code: PruneErrorCode, fragments: string[]): PruneError {
  expect(thrown).toBeInstanceOf(PruneError);
  const err = thrown as PruneError;
  expect({ name: err.name, code: err.code, message: err.message }).toEqual({ name: 'PruneError', code, message: expect.any(String) });
  fragments.forEach((f) => expect(err.message).toContain(f));
  return err;
}

/** Awaits `fn` and asserts it rejects with a PruneError of `code` whose message holds every fragment. */
export async function expectPruneErrorAsync(fn: () => Promise<unknown>, code: PruneErrorCode, ...fragments: string[]): Promise<PruneError> {
  try {
    await fn();
  } catch (e) {
    return checkPruneError(e, code, fragments);
  }
  return checkPruneError(undefined, code, fragments);
}

/** Calls `fn` and asserts it throws a PruneError of `code` whose message holds every fragment. */
export function expectPruneError(fn: () => unknown, code: PruneErrorCode, ...fragments: string[]): PruneError {
  try {
    fn();
  } catch (e) {
    return checkPruneError(e, code, fragments);
  }
  return checkPruneError(undefined, code, fragments);
}
