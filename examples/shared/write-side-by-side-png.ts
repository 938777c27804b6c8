import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';

/**
 * Writes images side by side into one PNG, left to right with `gap` white pixels between them
 * (uses Node's fs: for examples and scripts). Each image is `[h, w, 3]` with values in [0, 255]
 * (rounded and clipped); images of different heights are aligned at the top on a white background.
 * Returns the PNG's width and height.
 *
 * @example
 * ```ts
 * writeSideBySidePng('out/compare.png', [original, pruned], 8);
 * ```
 */
export function writeSideBySidePng(file: string, images: readonly tf.Tensor3D[], gap = 8): { width: number; height: number } {
  const width = images.reduce((sum, t) => sum + t.shape[1], 0) + gap * Math.max(images.length - 1, 0);
  const height = Math.max(...images.map((t) => t.shape[0]));
  const png = new PNG({ width, height });
  png.data.fill(255);
  let left = 0;
  for (const image of images) {
    const [h, w, c] = image.shape;
    if (c !== 3) throw new Error(`writeSideBySidePng: images must have 3 channels; got ${c}.`);
    const pixels = image.dataSync();
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const from = (y * w + x) * 3;
        const to = (y * width + left + x) * 4;
        for (let k = 0; k < 3; k++) png.data[to + k] = Math.min(255, Math.max(0, Math.round(pixels[from + k])));
        png.data[to + 3] = 255;
      }
    }
    left += w + gap;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(png));
  return { width, height };
}
