// Every icon from the one source, resources/icon.svg: the installers' icons in build/icons/ (read by
// electron-builder) and the icons the Electron host loads at run time from out/icons/ (window,
// tray, unread variants, macOS template images, the Windows taskbar overlay). Part of `npm run build`.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { ICNS_TYPES, encodeIcns, type IcnsType } from './icons/icns.js';
import { encodeIco } from './icons/ico.js';

const root = resolve(import.meta.dirname, '..');
const buildDir = join(root, 'build', 'icons');
const runtimeDir = join(root, 'out', 'icons');

const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const UNREAD_RED = '#e5484d';
/** The source's canvas (its width and height attributes), in px at 72 dpi. */
const CANVAS = 1024;
/** Apple's grid: an 824 px body on a 1024 px canvas; the source's tile is 960 px wide. */
const MAC_SCALE = 824 / 960;
/** The part of the canvas the mark lives in (see the comment in icon.svg). */
const MARK_BOX = '192 192 640 640';

const source = await readFile(join(root, 'resources', 'icon.svg'), 'utf8');

/** The mark alone in one colour, filling the canvas: for tray template images. */
const markOnly = (color: string): string =>
  source
    .replace(/viewBox="[^"]*"/, `viewBox="${MARK_BOX}"`)
    .replace(/<defs>/, `<style>#background{display:none}#mark{fill:${color}}</style><defs>`);

function render(svg: string, size: number): Promise<Buffer> {
  // sharp's lowest density is 1 (a 14 px canvas): smaller sizes are scaled down from there.
  return sharp(Buffer.from(svg), { density: Math.max(1, (72 * size) / CANVAS) }).resize(size, size).png().toBuffer();
}

/** A dot in the top-right corner with a transparent ring around it, so it reads on any background. */
function withDot(png: Buffer, size: number, color: string): Promise<Buffer> {
  const [cx, cy, r, gap] = [size * 0.76, size * 0.24, size * 0.22, size * 0.08];
  const circle = (radius: number, fill: string) =>
    Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><circle cx="${cx}" cy="${cy}" r="${radius}" fill="${fill}"/></svg>`);
  return sharp(png)
    .composite([
      { input: circle(r + gap, '#000'), blend: 'dest-out' },
      { input: circle(r, color) },
    ])
    .png()
    .toBuffer();
}

/** The icon on Apple's grid: a transparent margin around a smaller tile. */
async function macImage(size: number): Promise<Buffer> {
  const body = Math.round(size * MAC_SCALE);
  const margin = Math.floor((size - body) / 2);
  const transparent = { r: 0, g: 0, b: 0, alpha: 0 };
  return sharp(await render(source, body))
    .extend({ top: margin, left: margin, bottom: size - body - margin, right: size - body - margin, background: transparent })
    .png()
    .toBuffer();
}

async function buildIcons(): Promise<void> {
  await mkdir(join(buildDir, 'png'), { recursive: true });
  const pngs = new Map(await Promise.all(PNG_SIZES.map(async (size) => [size, await render(source, size)] as const)));
  const png = (size: number) => pngs.get(size) ?? render(source, size);
  await Promise.all([
    ...PNG_SIZES.map(async (size) => writeFile(join(buildDir, 'png', `${size}x${size}.png`), await png(size))),
    (async () => writeFile(join(buildDir, 'icon.ico'), encodeIco(await Promise.all(ICO_SIZES.map(async (size) => ({ size, png: await png(size) }))))))(),
    (async () => {
      const types = Object.entries(ICNS_TYPES) as [IcnsType, number][];
      const images = await Promise.all(types.map(async ([type, size]) => ({ type, png: await macImage(size) })));
      await writeFile(join(buildDir, 'icon.icns'), encodeIcns(images));
    })(),
  ]);
}

async function runtimeIcons(): Promise<void> {
  await mkdir(runtimeDir, { recursive: true });
  const tray = (size: number) => render(source, size);
  const template = (size: number) => render(markOnly('#000'), size);
  const overlay = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><circle cx="8" cy="8" r="7" fill="${UNREAD_RED}" stroke="#fff" stroke-width="1.5"/></svg>`;
  const files: Record<string, () => Promise<Buffer>> = {
    'icon.png': () => render(source, 512),
    'tray.png': () => tray(16),
    'tray@2x.png': () => tray(32),
    'tray-unread.png': async () => withDot(await tray(16), 16, UNREAD_RED),
    'tray-unread@2x.png': async () => withDot(await tray(32), 32, UNREAD_RED),
    'trayTemplate.png': () => template(16),
    'trayTemplate@2x.png': () => template(32),
    'trayUnreadTemplate.png': async () => withDot(await template(16), 16, '#000'),
    'trayUnreadTemplate@2x.png': async () => withDot(await template(32), 32, '#000'),
    'overlay-unread.png': () => sharp(Buffer.from(overlay)).png().toBuffer(),
  };
  await Promise.all(Object.entries(files).map(async ([name, make]) => writeFile(join(runtimeDir, name), await make())));
}

await Promise.all([buildIcons(), runtimeIcons()]);
