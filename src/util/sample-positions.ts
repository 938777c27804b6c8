/** `count` distinct integers out of `0 .. total-1`, drawn with `random`, sorted ascending. */
export function samplePositions(total: number, count: number, random: () => number): Int32Array {
  const all = Int32Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (total - i));
    const v = all[i];
    all[i] = all[j];
    all[j] = v;
  }
  return all.subarray(0, count).sort();
}
