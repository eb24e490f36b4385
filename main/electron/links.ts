// The page never navigates or opens windows; a link it follows goes to the system browser (a mailto:
// link to the mail app), and only those: javascript:, file: or a custom scheme could run or open
// something on this machine.
import { shell } from 'electron';

export function isExternalLink(url: string): boolean {
  return URL.canParse(url) && ['http:', 'https:', 'mailto:'].includes(new URL(url).protocol);
}

export function openExternally(url: string, log: (message: string, detail?: unknown) => void): void {
  if (!isExternalLink(url)) {
    log('refused to open a link that is not http(s) or mailto', url.slice(0, 200));
    return;
  }
  shell.openExternal(url).catch((error: unknown) => log('could not open a link', error));
}
