// The small JPEG a file message carries so the receiver sees an image before downloading it.
//
// sharp is given the path, not a stream: libvips then reads the file itself, sequentially, and
// JPEGs shrink while they decode, so memory stays near the output's size. (A stream input would be
// collected into one Buffer by sharp before decoding.) Video gets no preview: a poster frame needs a
// video decoder (ffmpeg), which this engine does not ship, so the UI shows a type icon instead.
//
// sharp is loaded at the first preview, never with the engine: its native code comes in a package per
// platform (@img/sharp-<os>-<arch>), which a machine may lack (an installer built without it, an
// unusual libc). Previews are a nicety, so without sharp a file is sent without one (the receiver
// shows a type icon) and the rest of the app runs; a static import would stop the whole process at
// launch. test/unit/electron-builder-config.test.ts checks that the built main process keeps it so.
import type SharpModule from 'sharp';
import { MAX_PREVIEW_BYTES, type FileInfo } from '../../../protocol/index.js';

export type Preview = NonNullable<FileInfo['preview']>;

const SIDE = 320;
const QUALITIES = [70, 45];
/** What libvips decodes here (svg is left out: a vector file is its own preview). */
const DECODABLE = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/tiff', 'image/bmp']);

let loading: Promise<typeof SharpModule> | undefined;

/** sharp, loaded once; a failed load is kept, so each preview after it fails at once with the same reason. */
export function loadSharp(): Promise<typeof SharpModule> {
  loading ??= import('sharp').then(
    ({ default: sharp }) => {
      // libvips' operation cache keeps decoded images for reuse; previews are one-offs.
      sharp.cache(false);
      return sharp;
    },
    (error: unknown) => {
      throw new Error(`image previews are unavailable: sharp could not be loaded (${(error as Error).message})`, { cause: error });
    },
  );
  return loading;
}

export function canPreview(mime: string): boolean {
  return DECODABLE.has(mime);
}

/**
 * A JPEG at most 320 px on its long side, upright per EXIF; undefined when it cannot be made small enough.
 * Rejects when the image cannot be decoded or sharp cannot be loaded: the caller sends without a preview.
 */
export async function makePreview(path: string): Promise<Preview | undefined> {
  const sharp = await loadSharp();
  for (const quality of QUALITIES) {
    const { data, info } = await sharp(path, { autoOrient: true, sequentialRead: true, failOn: 'error', pages: 1 })
      .resize(SIDE, SIDE, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' }) // JPEG has no alpha: transparent areas turn white, not black
      .jpeg({ quality })
      .toBuffer({ resolveWithObject: true });
    if (data.length <= MAX_PREVIEW_BYTES) return { jpeg: data.toString('base64'), width: info.width, height: info.height };
  }
  return undefined;
}
