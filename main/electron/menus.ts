// The application menu and the page's right-click menu. Electron's default menu offers Reload and
// Toggle Developer Tools to every user (a reload drops what is being typed; the tools are a
// developer's), and a page gets no context menu at all: no Copy or Paste by mouse, no spelling fixes.
// Both are built here from Electron's roles, so labels, shortcuts and the edit commands follow the OS.
import { Menu, clipboard, type BrowserWindow, type ContextMenuParams, type MenuItemConstructorOptions, type WebContents } from 'electron';
import { isExternalLink } from './links.js';

/** The menu bar (the app menu on macOS); reload and developer tools only while developing (unpackaged). */
export function appMenuTemplate(platform: NodeJS.Platform, developer: boolean): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const view: MenuItemConstructorOptions[] = [
    ...(developer ? ([{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as const) : []),
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  return [
    // macOS: About, Services, Hide, Quit under the app's name (productName "Parley").
    ...(mac ? [{ role: 'appMenu' } as const] : []),
    // Close Window on macOS; Quit elsewhere (a real quit, past close-to-tray).
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
  ];
}

export function setAppMenu(platform: NodeJS.Platform, developer: boolean): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(platform, developer)));
}

type MenuParams = Pick<ContextMenuParams, 'isEditable' | 'selectionText' | 'editFlags' | 'misspelledWord' | 'dictionarySuggestions' | 'linkURL'>;
type MenuContents = Pick<WebContents, 'replaceMisspelling' | 'session'>;

/** What a right-click at `params` offers: spelling fixes on a misspelt word, the edit commands, a link's address. */
export function contextMenuTemplate(params: MenuParams, contents: MenuContents): MenuItemConstructorOptions[] {
  const items: MenuItemConstructorOptions[] = [];
  if (params.isEditable && params.misspelledWord) {
    const word = params.misspelledWord;
    const suggestions = params.dictionarySuggestions.slice(0, 5);
    if (suggestions.length === 0) items.push({ label: 'No Spelling Suggestions', enabled: false });
    for (const suggestion of suggestions) items.push({ label: suggestion, click: () => contents.replaceMisspelling(suggestion) });
    items.push(
      {
        label: 'Add to Dictionary',
        click: () => {
          contents.session.addWordToSpellCheckerDictionary(word);
        },
      },
      { type: 'separator' },
    );
  }
  if (params.isEditable) {
    const can = params.editFlags;
    items.push(
      { role: 'cut', enabled: can.canCut },
      { role: 'copy', enabled: can.canCopy },
      { role: 'paste', enabled: can.canPaste },
      { type: 'separator' },
      { role: 'selectAll', enabled: can.canSelectAll },
    );
  } else if (params.selectionText.trim() !== '') {
    items.push({ role: 'copy' });
  }
  // Only the links the page may open (http, https): the address as the user sees it.
  if (params.linkURL && isExternalLink(params.linkURL)) {
    if (items.length > 0) items.push({ type: 'separator' });
    items.push({ label: 'Copy Link Address', click: () => clipboard.writeText(params.linkURL) });
  }
  return items;
}

export function attachContextMenu(win: BrowserWindow): void {
  win.webContents.on('context-menu', (_event, params) => {
    const items = contextMenuTemplate(params, win.webContents);
    if (items.length > 0) Menu.buildFromTemplate(items).popup({ window: win });
  });
}
