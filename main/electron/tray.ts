// The tray icon: an unread variant and the count in its tooltip, and a menu to show or hide the
// window and to quit (closing the window only hides it while close-to-tray is on).
import { Menu, Tray, nativeImage } from 'electron';
import { unreadDescription } from './badge.js';
import type { IconName, Icons } from './icons.js';

export interface TrayOptions {
  icons: Icons;
  platform: NodeJS.Platform;
  show(): void;
  hide(): void;
  isVisible(): boolean;
  quit(): void;
}

export function createTray(options: TrayOptions) {
  // macOS wants template images (drawn in the menu bar's own colour); elsewhere coloured ones.
  const image = (unread: boolean) => {
    const name: IconName = options.platform === 'darwin' ? (unread ? 'trayUnreadTemplate.png' : 'trayTemplate.png') : unread ? 'tray-unread.png' : 'tray.png';
    return options.icons(name) ?? nativeImage.createEmpty();
  };
  const tray = new Tray(image(false));
  tray.setToolTip('Parley');
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: 'Show Parley', click: options.show },
      { label: 'Hide Parley', click: options.hide },
      { type: 'separator' },
      { label: 'Quit Parley', click: options.quit },
    ]),
  );
  // A click on the icon toggles the window where it does not open the menu (not macOS).
  if (options.platform !== 'darwin') tray.on('click', () => (options.isVisible() ? options.hide() : options.show()));

  return {
    setUnread(count: number): void {
      tray.setImage(image(count > 0));
      tray.setToolTip(count > 0 ? `Parley: ${unreadDescription(count)}` : 'Parley');
    },
    destroy: () => tray.destroy(),
  };
}
