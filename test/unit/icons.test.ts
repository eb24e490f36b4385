// The .ico and .icns writers read back by the rules Windows and macOS read them with, and the icons
// `npm run build` generates (scripts/make-icons.ts) where the installers and the Electron host expect them.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { ICNS_TYPES, encodeIcns } from '../../scripts/icons/icns.js';
import { encodeIco } from '../../scripts/icons/ico.js';
import { requireBuilt } from '../support/built.js';

const root = resolve(import.meta.dirname, '../..');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function readIco(ico: Buffer): { size: number; png: Buffer }[] {
  expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
  return Array.from({ length: ico.readUInt16LE(4) }, (_, i) => {
    const entry = 6 + 16 * i;
    const [width, height] = [ico.readUInt8(entry) || 256, ico.readUInt8(entry + 1) || 256];
    expect(height).toBe(width);
    const [length, offset] = [ico.readUInt32LE(entry + 8), ico.readUInt32LE(entry + 12)];
    return { size: width, png: ico.subarray(offset, offset + length) };
  });
}

function readIcns(icns: Buffer): { type: string; png: Buffer }[] {
  expect(icns.toString('latin1', 0, 4)).toBe('icns');
  expect(icns.readUInt32BE(4)).toBe(icns.length);
  const images = [];
  for (let at = 8; at < icns.length; ) {
    const length = icns.readUInt32BE(at + 4);
    images.push({ type: icns.toString('latin1', at, at + 4), png: icns.subarray(at + 8, at + length) });
    at += length;
  }
  return images;
}

const square = (size: number, color = '#3a2fc9') => sharp({ create: { width: size, height: size, channels: 4, background: color } }).png().toBuffer();
const sizeOf = async (png: Buffer) => {
  const { width, height } = await sharp(png).metadata();
  return [width, height];
};

describe('icon containers', () => {
  it('writes an .ico whose directory points at each PNG, 256 px stored as 0', async () => {
    const images = await Promise.all([16, 48, 256].map(async (size) => ({ size, png: await square(size) })));
    const read = readIco(encodeIco(images));
    expect(read.map((image) => image.size)).toEqual([16, 48, 256]);
    for (const image of read) {
      expect(image.png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
      expect(await sizeOf(image.png)).toEqual([image.size, image.size]);
    }
    expect(() => encodeIco([{ size: 512, png: Buffer.alloc(0) }])).toThrow(/1\.\.256/);
  });

  it('writes an .icns of typed PNG chunks with big-endian lengths', async () => {
    const images = [{ type: 'ic07' as const, png: await square(128) }, { type: 'icp4' as const, png: await square(16) }];
    const read = readIcns(encodeIcns(images));
    expect(read.map((image) => image.type)).toEqual(['ic07', 'icp4']);
    expect(read.map((image) => image.png)).toEqual(images.map((image) => image.png));
  });
});

describe('generated icons (npm run build)', () => {
  beforeAll(() => requireBuilt('out/icons', 'build/icons'));
  const runtime = (name: string) => readFileSync(join(root, 'out', 'icons', name));

  it('gives the installers an .ico (16..256), an .icns (every PNG type) and Linux PNGs (16..1024)', async () => {
    const ico = readIco(readFileSync(join(root, 'build', 'icons', 'icon.ico')));
    expect(ico.map((image) => image.size)).toEqual([16, 24, 32, 48, 64, 128, 256]);
    for (const image of ico) expect(await sizeOf(image.png)).toEqual([image.size, image.size]);

    const icns = readIcns(readFileSync(join(root, 'build', 'icons', 'icon.icns')));
    expect(icns.map((image) => image.type).sort()).toEqual(Object.keys(ICNS_TYPES).sort());
    for (const image of icns) {
      const size = ICNS_TYPES[image.type as keyof typeof ICNS_TYPES];
      expect(await sizeOf(image.png)).toEqual([size, size]);
    }
    for (const size of [16, 32, 48, 64, 128, 256, 512, 1024]) {
      expect(await sizeOf(readFileSync(join(root, 'build', 'icons', 'png', `${size}x${size}.png`)))).toEqual([size, size]);
    }
  });

  it('gives the Electron host its icons by the names it loads, at their sizes', async () => {
    const sizes: Record<string, number> = {
      'icon.png': 512,
      'tray.png': 16,
      'tray@2x.png': 32,
      'tray-unread.png': 16,
      'tray-unread@2x.png': 32,
      'trayTemplate.png': 16,
      'trayTemplate@2x.png': 32,
      'trayUnreadTemplate.png': 16,
      'trayUnreadTemplate@2x.png': 32,
      'overlay-unread.png': 16,
    };
    for (const [name, size] of Object.entries(sizes)) expect(await sizeOf(runtime(name)), name).toEqual([size, size]);
  });

  it('makes the macOS template images black and alpha only', async () => {
    for (const name of ['trayTemplate.png', 'trayTemplate@2x.png', 'trayUnreadTemplate.png', 'trayUnreadTemplate@2x.png']) {
      const { data } = await sharp(runtime(name)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      let opaque = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] === 0) continue;
        opaque += 1;
        expect([data[i], data[i + 1], data[i + 2]], name).toEqual([0, 0, 0]);
      }
      expect(opaque, name).toBeGreaterThan(0);
    }
  });

  it('marks unread with red: the tray variants and the overlay differ from the plain tray icon in red pixels', async () => {
    const redPixels = async (png: Buffer) => {
      const { data } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      let count = 0;
      for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 0) > 200 && (data[i + 1] ?? 255) < 100 && (data[i + 2] ?? 255) < 110 && (data[i + 3] ?? 0) > 200) count += 1;
      return count;
    };
    expect(await redPixels(runtime('tray.png'))).toBe(0);
    expect(await redPixels(runtime('tray-unread.png'))).toBeGreaterThan(10);
    expect(await redPixels(runtime('tray-unread@2x.png'))).toBeGreaterThan(40);
    expect(await redPixels(runtime('overlay-unread.png'))).toBeGreaterThan(80);
  });
});
