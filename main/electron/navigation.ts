// The window shows the app's page and nothing else: no navigation (a dropped file would be one), no
// redirects, no new windows, no <webview>. Links the page follows are handed to the system browser.
import type { WebContents } from 'electron';
import { openExternally } from './links.js';

export function lockDownNavigation(contents: WebContents, isAppUrl: (url: string) => boolean, log: (message: string, detail?: unknown) => void): void {
  contents.setWindowOpenHandler(({ url }) => {
    openExternally(url, log);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event) => {
    event.preventDefault();
    if (!isAppUrl(event.url)) openExternally(event.url, log);
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
