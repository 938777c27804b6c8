/**
 * Number and value formatting shared by the stopping policies (names, reasons, error messages).
 * Internal: not exported from the package.
 */

/**
 * `x` with up to `digits` significant digits, without trailing zeros (`0.01230000003` -> `'0.0123'`).
 *
 * @example
 * ```ts
 * formatNumber(0.012300000000000044); // '0.0123'
 * ```
 */
export function formatNumber(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  return String(Number(x.toPrecision(digits)));
}

/**
 * The number of significant digits (4, or more) that keeps two different numbers from looking
 * equal, so a reason never reads `0.01 > 0.01`.
 *
 * @example
 * ```ts
 * distinctDigits(0.0100001, 0.01); // 6
 * ```
 */
export function distinctDigits(a: number, b: number): number {
  let digits = 4;
  while (digits < 17 && a !== b && formatNumber(a, digits) === formatNumber(b, digits)) digits++;
  return digits;
}

/**
 * Two numbers formatted with the same number of significant digits, as many as {@link distinctDigits} needs.
 *
 * @example
 * ```ts
 * formatPair(0.0100001, 0.01); // ['0.0100001', '0.01']
 * ```
 */
export function formatPair(a: number, b: number): [string, string] {
  const digits = distinctDigits(a, b);
  return [formatNumber(a, digits), formatNumber(b, digits)];
}

/**
 * `x` rounded to the decimal place of the last significant digit of `scale` shown with `digits`
 * digits, so the values a difference was taken from are shown as precisely as the difference:
 * with `scale` 0.0123 (4 digits), 0.9527 stays `'0.9527'` and 1 is `'1'`.
 *
 * @example
 * ```ts
 * formatAtScaleOf(0.9527, 0.0123, 4); // '0.9527'
 * ```
 */
export function formatAtScaleOf(x: number, scale: number, digits: number): string {
  if (!Number.isFinite(x) || !Number.isFinite(scale) || scale === 0) return formatNumber(x, digits);
  const decimals = Math.min(20, Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(scale)))));
  return String(Number(x.toFixed(decimals)));
}

/**
 * A fraction as a percentage with one decimal: `0.4968` -> `'49.7%'`.
 *
 * @example
 * ```ts
 * formatPercent(0.4969); // '49.7%'
 * ```
 */
export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/**
 * A ratio given by the user as a percentage, without rounding it away: `0.5` -> `'50%'`, `0.333` -> `'33.3%'`.
 *
 * @example
 * ```ts
 * formatRatioPercent(0.333); // '33.3%'
 * ```
 */
export function formatRatioPercent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(6))}%`;
}

/**
 * A received value, for an error message: numbers, booleans, undefined and strings as written, other things by kind.
 *
 * @example
 * ```ts
 * describeValue('0.5'); // '"0.5"'
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}
