// Start at login, and start minimised (only the tray icon). macOS and Windows keep login items
// themselves (app.setLoginItemSettings); Linux desktops read XDG autostart entries.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'electron';
import { canStartMinimised } from '../../common/desktop-platform.js';

/** The argument a login launch carries on Windows and Linux when Parley should start in the tray. */
export const HIDDEN_ARG = '--hidden';

export interface AutostartEnv {
  platform: NodeJS.Platform;
  /** Linux: the AppImage when run from one (its path survives updates; execPath is a temporary mount). */
  appImage?: string;
  execPath: string;
  /** Linux: $XDG_CONFIG_HOME, else ~/.config. */
  configDir: string;
}

/** A desktop entry's Exec argument, quoted as the spec asks. */
const quoteExec = (arg: string) => `"${arg.replace(/["`$\\]/g, (c) => `\\${c}`)}"`;

export function autostartEntry(executable: string, hidden: boolean): string {
  return ['[Desktop Entry]', 'Type=Application', 'Name=Parley', `Exec=${[quoteExec(executable), ...(hidden ? [HIDDEN_ARG] : [])].join(' ')}`, 'X-GNOME-Autostart-enabled=true', ''].join('\n');
}

export function applyAutostart(app: Pick<App, 'setLoginItemSettings'>, env: AutostartEnv, settings: { startAtLogin: boolean; startMinimised: boolean }): void {
  const hidden = settings.startAtLogin && settings.startMinimised && canStartMinimised(env.platform);
  if (env.platform === 'darwin' || env.platform === 'win32') {
    // args is Windows-only; macOS cannot start minimised (common/desktop-platform.ts).
    app.setLoginItemSettings({ openAtLogin: settings.startAtLogin, args: hidden ? [HIDDEN_ARG] : [] });
    return;
  }
  const dir = join(env.configDir, 'autostart');
  const file = join(dir, 'parley.desktop');
  if (!settings.startAtLogin) return rmSync(file, { force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, autostartEntry(env.appImage || env.execPath, hidden));
}

/** Whether this launch should show only the tray icon: a login item made with startMinimised on (Windows, Linux). */
export function startsHidden(argv: readonly string[], platform: NodeJS.Platform): boolean {
  return canStartMinimised(platform) && argv.includes(HIDDEN_ARG);
}
