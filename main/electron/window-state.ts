// The window reopens where it was left: its normal bounds and whether it was maximized, kept in a JSON
// file. Bounds left on a display that is no longer attached would open the window out of reach, so
// they are dropped unless enough of the window lands on a current display to grab it.
import type { BrowserWindow, Rectangle } from 'electron';
import { z } from 'zod';
import { readJsonFile, writeJsonFile, type JsonFile, type Log } from '../../common/node/json-file.js';

const Bounds = z.object({ x: z.number().int(), y: z.number().int(), width: z.number().int().min(1), height: z.number().int().min(1) });
const WindowState = z.object({ bounds: Bounds, maximized: z.boolean() });
export type WindowState = z.infer<typeof WindowState>;

/** No saved state: the window takes its default placement. */
const windowStateFile = (path: string): JsonFile<WindowState, null> => ({ path, schema: WindowState, version: 1, default: null, mode: 0o600 });

/** How much of the window must overlap one display's work area, in each direction, to count as visible. */
const GRAB = 64;

export function isVisible(bounds: Rectangle, workAreas: Rectangle[]): boolean {
  return workAreas.some((area) => {
    const w = Math.min(bounds.x + bounds.width, area.x + area.width) - Math.max(bounds.x, area.x);
    const h = Math.min(bounds.y + bounds.height, area.y + area.height) - Math.max(bounds.y, area.y);
    return w >= GRAB && h >= GRAB;
  });
}

/** The saved state if it is readable and visible on the given work areas, else null (default placement). */
export function loadWindowState(file: string, workAreas: Rectangle[], log: Log): WindowState | null {
  const saved = readJsonFile(windowStateFile(file), log);
  return saved && isVisible(saved.bounds, workAreas) ? saved : null;
}

/** Saves on close and, debounced, after moves and resizes (a drag fires many). */
export function trackWindowState(win: BrowserWindow, file: string, log: Log): void {
  let timer: NodeJS.Timeout | undefined;
  const save = () => {
    clearTimeout(timer);
    if (win.isDestroyed()) return;
    const state: WindowState = { bounds: win.getNormalBounds(), maximized: win.isMaximized() };
    try {
      writeJsonFile(windowStateFile(file), state);
    } catch (error) {
      log('could not save the window state', error);
    }
  };
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  win.on('move', later);
  win.on('resize', later);
  win.on('maximize', later);
  win.on('unmaximize', later);
  win.on('close', save);
}
