// The runtime icons packaging generates into out/icons/ (beside out/main/). A missing or unreadable
// icon is logged once and answered as null: Parley runs without it rather than failing to start.
import { join } from 'node:path';
import { nativeImage, type NativeImage } from 'electron';

/** Each with its @2x beside it where it has one; nativeImage picks the scale, and a *Template name makes a macOS template image. */
export type IconName = 'icon.png' | 'tray.png' | 'tray-unread.png' | 'trayTemplate.png' | 'trayUnreadTemplate.png' | 'overlay-unread.png';

export type Icons = (name: IconName) => NativeImage | null;

export function loadIcons(dir: string, log: (message: string, detail?: unknown) => void): Icons {
  const loaded = new Map<IconName, NativeImage | null>();
  return (name) => {
    if (!loaded.has(name)) {
      const path = join(dir, name);
      const image = nativeImage.createFromPath(path);
      if (image.isEmpty()) log('an icon is missing or unreadable', path);
      loaded.set(name, image.isEmpty() ? null : image);
    }
    return loaded.get(name)!;
  };
}
