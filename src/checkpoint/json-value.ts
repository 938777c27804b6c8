import { PruneError } from '../errors';

/**
 * Checks that `value` survives `JSON.stringify` / `JSON.parse` unchanged: only null, booleans,
 * finite numbers, strings, arrays and plain objects (an object property that is `undefined` is
 * allowed: JSON drops it and reading it back gives `undefined` again). Anything else (NaN,
 * Infinity, a Date, a Map, a typed array, a function, a cycle) would come back different from a
 * stored checkpoint, so it is refused with a PruneError('CHECKPOINT_INVALID') naming where it is.
 *
 * @example
 * ```ts
 * assertJsonValue({ step: 3, best: 0.91 }, 'checkpoint.state'); // fine
 * assertJsonValue({ best: NaN }, 'checkpoint.state'); // throws: checkpoint.state.best is NaN
 * ```
 */
export function assertJsonValue(value: unknown, path: string): void {
  check(value, path, new Set());
}

function check(value: unknown, path: string, open: Set<object>): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) refuse(path, `is ${String(value)}`, 'store null (or a string such as "Infinity") instead');
    return;
  }
  if (typeof value !== 'object') {
    refuse(path, `is ${value === undefined ? 'undefined' : `a ${typeof value}`}`, 'store plain JSON data only');
  }
  const obj = value as object;
  if (open.has(obj)) refuse(path, 'refers back to an object that contains it (a cycle)', 'store a tree of plain data');
  const proto = Object.getPrototypeOf(obj) as unknown;
  const isArray = Array.isArray(obj);
  if (!isArray && proto !== Object.prototype && proto !== null) {
    const kind = (obj.constructor as { name?: string } | undefined)?.name ?? 'object';
    refuse(path, `is a ${kind}, not a plain object or array`, 'convert it to plain data (a Date to its ISO string, a Map to an object, a typed array to an array)');
  }
  open.add(obj);
  if (isArray) {
    const items = obj as unknown[];
    for (let i = 0; i < items.length; i++) check(items[i], `${path}[${i}]`, open); // holes are undefined: refused
  } else {
    for (const [key, item] of Object.entries(obj)) {
      if (item !== undefined) check(item, `${path}.${key}`, open);
    }
  }
  open.delete(obj);
}

function refuse(path: string, problem: string, fix: string): never {
  throw new PruneError(
    'CHECKPOINT_INVALID',
    `${path} ${problem}, but checkpoint state must be plain JSON so that it reads back exactly as it was saved; ${fix}.`,
  );
}
