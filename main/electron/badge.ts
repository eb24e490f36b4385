// The unread total (over conversations that are not muted, from the engine) on the desktop: the dock
// badge on macOS and the launcher count on Linux (Unity launchers) through app.setBadgeCount, the
// taskbar overlay on Windows, and the tray icon everywhere.
import type { App, BrowserWindow, NativeImage } from 'electron';

export interface BadgeOptions {
  app: Pick<App, 'setBadgeCount'>;
  platform: NodeJS.Platform;
  window(): BrowserWindow | null;
  /** The Windows overlay (a 16×16 dot). */
  overlay(): NativeImage | null;
  /** Where else the count shows (the tray). */
  onChange?(count: number): void;
}

export const unreadDescription = (count: number): string => `${count} unread message${count === 1 ? '' : 's'}`;

export function createBadge(options: BadgeOptions) {
  let count = 0;

  function applyToWindow(): void {
    const win = options.window();
    if (options.platform !== 'win32' || !win || win.isDestroyed()) return;
    const overlay = count > 0 ? options.overlay() : null;
    win.setOverlayIcon(overlay, overlay ? unreadDescription(count) : '');
  }

  return {
    get count() {
      return count;
    },
    set(next: number): void {
      if (next === count) return;
      count = next;
      if (options.platform === 'win32') applyToWindow();
      else options.app.setBadgeCount(count);
      options.onChange?.(count);
    },
    /** A new window has no overlay yet. */
    applyToWindow,
  };
}
