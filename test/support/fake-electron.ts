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
  async invoke(channel: string, event: unknown, arg?: unknown): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler(event, arg);
  },
};

export const ipcRenderer = Object.assign(new EventEmitter(), {
  invoke: vi.fn(async (channel: string, arg?: unknown) => ({ ok: true, data: { channel, arg } })),
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
  isEncryptionAvailable(): boolean {
    return this.available;
  },
  encryptString: (text: string) => Buffer.from(`sealed:${text}`),
  decryptString: (data: Buffer) => data.toString().replace(/^sealed:/, ''),
};

export const screen = {
  displays: [{ workArea: { x: 0, y: 0, width: 1920, height: 1040 } }],
  getAllDisplays() {
    return this.displays;
  },
};

type HeadersListener = (details: { responseHeaders?: Record<string, string[]> }, callback: (response: unknown) => void) => void;
export const session = {
  defaultSession: {
    webRequest: {
      headersListener: null as HeadersListener | null,
      onHeadersReceived(listener: HeadersListener): void {
        this.headersListener = listener;
      },
    },
  },
};

export const app = Object.assign(new EventEmitter(), {
  paths: new Map([
    ['userData', '/nonexistent/userData'],
    ['downloads', '/nonexistent/Downloads'],
  ]),
  locked: true,
  quit: vi.fn(),
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
  whenReady: () => Promise.resolve(),
});

export class WebContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  send = vi.fn();
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
  session.defaultSession.webRequest.headersListener = null;
  protocol.privileged.length = 0;
  protocol.handlers.clear();
  BrowserWindow.created.length = 0;
}
