// Number formatting for reports: deterministic (no locale), English separators.

/**
 * Text shown for a value that is missing or not finite (NaN from a diverged fine-tune).
 *
 * @example
 * ```ts
 * formatMetric(Number.NaN) === NOT_AVAILABLE; // 'n/a'
 * ```
 */
export const NOT_AVAILABLE = 'n/a';

/** Puts a comma between every three digits of a string of digits. */
function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * A number with `decimals` decimals and thousands separators: `formatFixed(1234.5, 2)` is
 * `'1,234.50'`. A value that rounds to zero never shows a minus sign.
 *
 * @example
 * ```ts
 * formatFixed(-1234.5, 2); // '-1,234.50'
 * formatFixed(-0.001, 2);  // '0.00'
 * ```
 */
export function formatFixed(value: number | undefined, decimals: number): string {
  if (value === undefined || !Number.isFinite(value)) return NOT_AVAILABLE;
  const fixed = Math.abs(value).toFixed(decimals);
  const [whole, fraction] = fixed.split('.');
  const negative = value < 0 && Number(fixed) !== 0;
  return `${negative ? '-' : ''}${groupThousands(whole)}${fraction === undefined ? '' : `.${fraction}`}`;
}

/**
 * An integer count with thousands separators.
 *
 * @example
 * ```ts
 * formatCount(56714); // '56,714'
 * ```
 */
export function formatCount(value: number | undefined): string {
  return formatFixed(value, 0);
}

/**
 * `part / whole` as a percentage with 2 decimals; `'n/a'` when `whole` is 0.
 *
 * @example
 * ```ts
 * formatPercentOf(201184, 706752); // '28.47%'
 * ```
 */
export function formatPercentOf(part: number | undefined, whole: number | undefined): string {
  if (part === undefined || whole === undefined || whole === 0) return NOT_AVAILABLE;
  const text = formatFixed((100 * part) / whole, 2);
  return text === NOT_AVAILABLE ? text : `${text}%`;
}

/**
 * A metric value: 4 decimals (`0.9650`, `1,234.5678`), or 4 significant digits when its magnitude
 * is below 0.001 (`0.0001234`), so small losses do not all show as `0.0000`.
 *
 * @example
 * ```ts
 * formatMetric(0.965);      // '0.9650'
 * formatMetric(0.00012345); // '0.0001234'
 * ```
 */
export function formatMetric(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return NOT_AVAILABLE;
  if (value !== 0 && Math.abs(value) < 0.001) return value.toPrecision(4);
  return formatFixed(value, 4);
}

/**
 * A metric change with its sign (none for zero).
 *
 * @example
 * ```ts
 * formatMetricChange(0.02);  // '+0.0200'
 * formatMetricChange(-0.01); // '-0.0100'
 * ```
 */
export function formatMetricChange(delta: number | undefined): string {
  const text = formatMetric(delta);
  if (text === NOT_AVAILABLE || delta === undefined || delta <= 0 || /^[0.]+$/.test(text)) return text;
  return `+${text}`;
}

/**
 * Seconds (or milliseconds) with 2 decimals and thousands separators.
 *
 * @example
 * ```ts
 * formatSeconds(12.345); // '12.35'
 * ```
 */
export function formatSeconds(value: number | undefined): string {
  return formatFixed(value, 2);
}
