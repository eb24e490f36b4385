// The browser host: serves the built renderer on 127.0.0.1 and carries the contract over a WebSocket,
// for machines without the Electron binary and for end-to-end tests. The page's URL carries a random
// per-launch key in its fragment (never sent in requests or logged); the socket must present it and
// come from the page's own origin, so no other site or local user's page can drive the session.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Bridge } from '../bridge/index.js';

export interface BrowserHostOptions {
  bridge: Bridge;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  log?: (message: string, detail?: unknown) => void;
}

export interface BrowserHost {
  /** Open this to use Parley; it holds the key. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};
// Bodies are at most 64 KiB of text; anything far larger is not from our renderer.
const MAX_FRAME_BYTES = 1024 * 1024;

const digest = (s: string) => createHash('sha256').update(s).digest();

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const log = options.log ?? ((message: string, detail?: unknown) => console.warn(`[parley] ${message}`, detail ?? ''));
  const rendererDir = resolve(options.rendererDir);
  const key = randomBytes(32).toString('base64url');
  const keyDigest = digest(key);
  let origin = '';

  const http = createServer((req, res) => void serveFile(req, res));
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  async function serveFile(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', origin).pathname);
    } catch {
      return void res.writeHead(400).end('bad path');
    }
    const file = resolve(rendererDir, `.${path === '/' ? '/index.html' : path}`);
    if (!file.startsWith(rendererDir + sep)) return void res.writeHead(404).end();
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return void res.writeHead(404).end('not found');
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Content-Security-Policy': `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://${new URL(origin).host}; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': extname(file) === '.html' ? 'no-store' : 'max-age=3600',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  }

  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', origin);
    const presented = digest(url.searchParams.get('key') ?? '');
    if (url.pathname !== '/bridge' || req.headers.origin !== origin || !timingSafeEqual(presented, keyDigest)) {
      log(`refused a bridge connection from origin ${req.headers.origin ?? '(none)'}`);
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => serveBridge(ws));
  });

  function serveBridge(ws: WebSocket) {
    ws.on('message', async (data, isBinary) => {
      let frame: { id?: unknown; method?: unknown; arg?: unknown };
      try {
        frame = isBinary ? {} : (JSON.parse(data.toString()) as typeof frame);
      } catch {
        frame = {};
      }
      if (typeof frame !== 'object' || frame === null || !Number.isSafeInteger(frame.id)) {
        return ws.close(1003, 'frames are JSON {id, method, arg}');
      }
      const reply = await options.bridge.dispatch(frame.method, frame.arg);
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: frame.id, reply }));
    });
  }

  const offEvents = options.bridge.onEvent((event, payload) => {
    const frame = JSON.stringify({ event, payload });
    for (const ws of sockets.clients) if (ws.readyState === ws.OPEN) ws.send(frame);
  });

  await new Promise<void>((ready, fail) => {
    http.once('error', fail);
    http.listen(options.port ?? 0, '127.0.0.1', () => ready());
  });
  const { port } = http.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/#key=${key}`,
    port,
    async close() {
      offEvents();
      for (const ws of sockets.clients) ws.terminate();
      sockets.close();
      http.closeAllConnections();
      await new Promise<void>((done) => http.close(() => done()));
    },
  };
}

