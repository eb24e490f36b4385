// What the desktop integration can do on each OS, for the host (which acts on it) and the renderer
// (which offers only what works). Renderer-safe: a platform is just its name here.

/**
 * Whether a login launch can start in the tray. Windows and Linux pass `--hidden` to the login item
 * (the registry's Run entry, the XDG autostart file). macOS 13+ registers login items through
 * SMAppService, which gives the app no way to tell it was launched at login (Apple FB10207829;
 * Electron's `openAsHidden`/`wasOpenedAsHidden` do not work there), so the option is not offered on
 * macOS rather than offered and ignored.
 */
export function canStartMinimised(platform: string): boolean {
  return platform !== 'darwin';
}

/**
 * Whether closing the window keeps Parley in the tray unless the user says otherwise. Not on Linux:
 * GNOME shows no tray icons without an extension, and there closing would leave a running app with
 * no window and nothing to click. The setting is there for desktops with a tray (KDE, Xfce, Cinnamon).
 */
export function closesToTrayByDefault(platform: string): boolean {
  return platform !== 'linux';
}
