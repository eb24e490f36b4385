// Where the app's page lives, and whether a URL is that page: the built index.html, or in dev
// (`electron-vite dev` sets ELECTRON_RENDERER_URL) any page of the dev server's origin.
import { pathToFileURL } from 'node:url';

export interface AppLocation {
  url: string;
  isAppUrl(url: string): boolean;
}

export function appLocation(indexHtml: string, devUrl?: string): AppLocation {
  if (devUrl) {
    const origin = new URL(devUrl).origin;
    return { url: devUrl, isAppUrl: (url) => URL.canParse(url) && new URL(url).origin === origin };
  }
  const url = pathToFileURL(indexHtml).href;
  return {
    url,
    // The page may change its own hash or query; any other file is not the app.
    isAppUrl(candidate) {
      if (!URL.canParse(candidate)) return false;
      const parsed = new URL(candidate);
      parsed.hash = '';
      parsed.search = '';
      return parsed.href === url;
    },
  };
}
