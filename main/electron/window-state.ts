// The window reopens where it was left: its normal bounds and whether it was maximized, kept in a JSON
// file. Bounds left on a display that is no longer attached would open the window out of reach, so
// they are dropped unless enough of the window lands on a current display to grab it.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { BrowserWindow, Rectangle } from 'electron';
import { z } from 'zod';

const Bounds = z.object({ x: z.number().int(), y: z.number().int(), width: z.number().int().min(1), height: z.number().int().min(1) });
const WindowState = z.object({ bounds: Bounds, maximized: z.boolean() });
export type WindowState = z.infer<typeof WindowState>;

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
export function restoreWindowState(saved: unknown, workAreas: Rectangle[]): WindowState | null {
  const parsed = WindowState.safeParse(saved);
  return parsed.success && isVisible(parsed.data.bounds, workAreas) ? parsed.data : null;
}

export function loadWindowState(file: string, workAreas: Rectangle[]): WindowState | null {
  try {
    return restoreWindowState(JSON.parse(readFileSync(file, 'utf8')), workAreas);
  } catch {
    return null; // first launch, or an unreadable file: default placement
  }
}

/** Saves on close and, debounced, after moves and resizes (a drag fires many). */
export function trackWindowState(win: BrowserWindow, file: string, log: (message: string, detail?: unknown) => void): void {
  let timer: NodeJS.Timeout | undefined;
  const save = () => {
    clearTimeout(timer);
    if (win.isDestroyed()) return;
    const state: WindowState = { bounds: win.getNormalBounds(), maximized: win.isMaximized() };
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(state));
      renameSync(`${file}.tmp`, file);
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
