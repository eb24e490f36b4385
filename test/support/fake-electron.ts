// A stand-in for the 'electron' module in unit tests (vi.mock('electron', () => import(...))): just
// enough of each API the host and the preload use, recording what they do with it.
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

type Handler = (event: unknown, ...args: unknown[]) => unknown;

export const ipcMain = {
  handlers: new Map<string, Handler>(),
  handle(channel: string, handler: Handler): void {
    // As Electron does: a second handler for a channel is a programming error.
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  },
  /** What ipcRenderer.invoke from `event`'s sender would get. */
  async invoke(channel: string, event: unknown, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler(event, ...args);
  },
};

export const ipcRenderer = Object.assign(new EventEmitter(), {
  invoke: vi.fn(async (channel: string, ...args: unknown[]) => ({ ok: true, data: { channel, args } })),
});

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, api: unknown): void {
    this.exposed.set(key, api);
  },
};

export const shell = {
  openExternal: vi.fn(async (_url: string) => {}),
  openPath: vi.fn(async (_path: string) => ''),
  showItemInFolder: vi.fn((_path: string) => {}),
};

type ProtocolHandler = (request: Request) => Response | Promise<Response>;
export const protocol = {
  privileged: [] as Array<{ scheme: string; privileges?: Record<string, boolean> }>,
  handlers: new Map<string, ProtocolHandler>(),
  registerSchemesAsPrivileged(schemes: Array<{ scheme: string; privileges?: Record<string, boolean> }>): void {
    this.privileged.push(...schemes);
  },
  handle(scheme: string, handler: ProtocolHandler): void {
    // As Electron does: a scheme is handled once.
    if (this.handlers.has(scheme)) throw new Error(`The scheme '${scheme}' is already registered`);
    this.handlers.set(scheme, handler);
  },
  /** What the page would get loading `url`. */
  async fetch(url: string): Promise<Response> {
    const handler = this.handlers.get(new URL(url).protocol.slice(0, -1));
    if (!handler) throw new Error(`No handler for ${url}`);
    return handler(new Request(url));
  },
};

/** The save and folder dialogs answer what the test sets as the user's choice. */
export const dialog = {
  choice: { canceled: true, filePath: '' } as { canceled: boolean; filePath: string },
  showSaveDialog: vi.fn(async (..._args: unknown[]) => dialog.choice),
  folderChoice: { canceled: true, filePaths: [] } as { canceled: boolean; filePaths: string[] },
  showOpenDialog: vi.fn(async (..._args: unknown[]) => dialog.folderChoice),
  showErrorBox: vi.fn((_title: string, _content: string) => {}),
};

/** Paths of Files "the user chose", as Electron knows them; any other File has none. */
export const webUtils = {
  paths: new Map<unknown, string>(),
  getPathForFile(file: unknown): string {
    return this.paths.get(file) ?? '';
  },
};

export const safeStorage = {
  available: true,
  backend: 'gnome_libsecret' as 'basic_text' | 'gnome_libsecret' | 'kwallet' | 'kwallet5' | 'kwallet6' | 'unknown',
  isEncryptionAvailable(): boolean {
    return this.available;
  },
  getSelectedStorageBackend() {
    return this.backend;
  },
  // Tagged like Chromium's own ("v10"); anything else fails to decrypt, as a blob from another keychain does.
  encryptString: (text: string) => Buffer.from(`v10sealed:${text}`),
  decryptString(data: Buffer): string {
    const text = data.toString();
    if (!text.startsWith('v10sealed:')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return text.slice('v10sealed:'.length);
  },
};

export const screen = {
  displays: [{ workArea: { x: 0, y: 0, width: 1920, height: 1040 } }],
  getAllDisplays() {
    return this.displays;
  },
};

type HeadersListener = (details: { responseHeaders?: Record<string, string[]> }, callback: (response: unknown) => void) => void;
type AnyHandler = ((...args: never[]) => unknown) | null;
/** The session keeps the handlers it is given, for tests to call as Chromium would. */
export const session = {
  defaultSession: Object.assign(new EventEmitter(), {
    webRequest: {
      headersListener: null as HeadersListener | null,
      onHeadersReceived(listener: HeadersListener): void {
        this.headersListener = listener;
      },
    },
    handlers: {} as Record<string, AnyHandler>,
    setPermissionRequestHandler(handler: AnyHandler): void {
      this.handlers['permissionRequest'] = handler;
    },
    setPermissionCheckHandler(handler: AnyHandler): void {
      this.handlers['permissionCheck'] = handler;
    },
    setDevicePermissionHandler(handler: AnyHandler): void {
      this.handlers['devicePermission'] = handler;
    },
    setDisplayMediaRequestHandler(handler: AnyHandler): void {
      this.handlers['displayMedia'] = handler;
    },
  }),
};

/** An image "loaded" from a path: empty unless the test listed the path as existing. */
export class NativeImage {
  constructor(readonly path: string | null) {}
  isEmpty = () => this.path === null;
}
export const nativeImage = {
  existing: new Set<string>(),
  createFromPath: vi.fn((path: string) => new NativeImage(nativeImage.existing.has(path) ? path : null)),
  createEmpty: () => new NativeImage(null),
};

/** Every notification made, in order; none is shown unless show() was called. */
export class Notification extends EventEmitter {
  static supported = true;
  static created: Notification[] = [];
  static isSupported = () => Notification.supported;
  shown = false;
  closed = false;
  constructor(readonly options: { title?: string; body?: string; icon?: unknown }) {
    super();
    Notification.created.push(this);
  }
  show = () => {
    this.shown = true;
  };
  close = () => {
    this.closed = true;
    this.emit('close');
  };
}

export class Tray extends EventEmitter {
  static created: Tray[] = [];
  tooltip = '';
  menu: unknown = null;
  destroyed = false;
  constructor(public image: NativeImage) {
    super();
    Tray.created.push(this);
  }
  setImage(image: NativeImage): void {
    this.image = image;
  }
  setToolTip(tooltip: string): void {
    this.tooltip = tooltip;
  }
  setContextMenu(menu: unknown): void {
    this.menu = menu;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

export interface MenuItem {
  label?: string;
  type?: string;
  role?: string;
  enabled?: boolean;
  submenu?: MenuItem[];
  click?: () => void;
}
export const Menu = {
  buildFromTemplate: (items: MenuItem[]) => ({ items, popup: vi.fn((_options?: { window?: unknown }) => {}) }),
  applicationMenu: null as { items: MenuItem[] } | null,
  setApplicationMenu(menu: { items: MenuItem[] } | null): void {
    this.applicationMenu = menu;
  },
};

export const clipboard = {
  text: '',
  writeText(text: string): void {
    this.text = text;
  },
};

/** Seconds without input the host reads (main/electron/activity.ts); a test sets it. */
export const powerMonitor = Object.assign(new EventEmitter(), { idleSeconds: 0, getSystemIdleTime: () => powerMonitor.idleSeconds });

export const app = Object.assign(new EventEmitter(), {
  paths: new Map([
    ['userData', '/nonexistent/userData'],
    ['downloads', '/nonexistent/Downloads'],
    ['home', '/nonexistent/home'],
    ['logs', '/nonexistent/logs'],
  ]),
  locked: true,
  quit: vi.fn(),
  exit: vi.fn((_code?: number) => {}),
  ready: true,
  isPackaged: true,
  isReady(): boolean {
    return this.ready;
  },
  setBadgeCount: vi.fn((_count?: number) => true),
  setLoginItemSettings: vi.fn((_settings: { openAtLogin?: boolean; args?: string[] }) => {}),
  setAppUserModelId: vi.fn((_id: string) => {}),
  setAsDefaultProtocolClient: vi.fn((_protocol: string, _path?: string, _args?: string[]) => true),
  getVersion: () => '0.0.0-test',
  getPath(name: string): string {
    return this.paths.get(name)!;
  },
  setPath(name: string, path: string): void {
    this.paths.set(name, path);
  },
  requestSingleInstanceLock(): boolean {
    return this.locked;
  },
  releaseSingleInstanceLock: vi.fn(() => {}),
  setAppLogsPath(path: string): void {
    this.paths.set('logs', path);
  },
  whenReady: () => Promise.resolve(),
});

export class WebContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  send = vi.fn();
  replaceMisspelling = vi.fn((_word: string) => {});
  session = { addWordToSpellCheckerDictionary: vi.fn((_word: string) => true) };
  mainFrame = { url: '', parent: null };
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
}

export class BrowserWindow extends EventEmitter {
  static created: BrowserWindow[] = [];
  webContents = new WebContents();
  destroyed = false;
  maximized = false;
  shown = false;
  focused = false;
  loadedUrl: string | null = null;
  bounds: { x: number; y: number; width: number; height: number };
  constructor(readonly options: { x?: number; y?: number; width?: number; height?: number; [key: string]: unknown } = {}) {
    super();
    const { x = 0, y = 0, width = 800, height = 600 } = options;
    this.bounds = { x, y, width, height };
    BrowserWindow.created.push(this);
  }
  isDestroyed = () => this.destroyed;
  isMaximized = () => this.maximized;
  maximize = () => {
    this.maximized = true;
  };
  show = () => {
    this.shown = true;
  };
  hide = () => {
    this.shown = false;
  };
  isVisible = () => this.shown;
  isFocused = () => this.focused;
  setOverlayIcon = vi.fn((_overlay: NativeImage | null, _description: string) => {});
  /** What closing it (the close button, or a quit) does: 'close' may be prevented, else the window goes. */
  close = () => {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (prevented) return;
    this.destroyed = true;
    this.emit('closed');
  };
  isMinimized = () => false;
  restore = vi.fn();
  focus = vi.fn();
  getNormalBounds = () => this.bounds;
  loadURL = async (url: string) => {
    this.loadedUrl = url;
  };
}

/** Forgets what the code under test did, for a test that starts the host again. */
export function resetFake(): void {
  ipcMain.handlers.clear();
  app.removeAllListeners();
  app.paths.set('userData', '/nonexistent/userData');
  app.paths.set('logs', '/nonexistent/logs');
  session.defaultSession.webRequest.headersListener = null;
  session.defaultSession.handlers = {};
  session.defaultSession.removeAllListeners();
  powerMonitor.removeAllListeners();
  Notification.created.length = 0;
  Tray.created.length = 0;
  protocol.privileged.length = 0;
  protocol.handlers.clear();
  BrowserWindow.created.length = 0;
  Menu.applicationMenu = null;
  clipboard.text = '';
}
