// The browser host: serves the built renderer on 127.0.0.1 and carries the contract over a WebSocket,
// for machines without the Electron binary and for end-to-end tests. The page's URL carries a random
// per-launch key in its fragment (never sent in requests or logged); the socket must present it and
// come from the page's own origin, so no other site or local user's page can drive the session.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, resolve, sep } from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Bridge } from '../bridge/index.js';
import { MAX_STAGED_BYTES } from '../bridge/staging.js';
import { ParleyError } from '../core/index.js';

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

  // A route that throws answers 500 and is logged; it never becomes an unhandled rejection.
  const http = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      log(`could not answer ${req.method ?? '?'} ${req.url ?? ''}`, error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', origin).pathname;
    if (path === '/stage') return stage(req, res);
    if (path.startsWith('/local/')) return serveLocal(req, res, path.slice('/local/'.length));
    return serveFile(req, res);
  }
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  /** The key as the socket checks it, and (for script requests) the page's own origin. */
  function authorised(req: IncomingMessage, fromScript: boolean): boolean {
    const presented = digest(new URL(req.url ?? '/', origin).searchParams.get('key') ?? '');
    return timingSafeEqual(presented, keyDigest) && (!fromScript || req.headers.origin === origin);
  }

  const answer = (res: ServerResponse, status: number, body: unknown) =>
    void res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));

  /** The page's stageFiles: one file's bytes streamed to the staging dir; answers the StagedFile. */
  async function stage(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== 'POST') return void res.writeHead(405, { Allow: 'POST' }).end();
    if (!authorised(req, true)) {
      log(`refused a file upload from origin ${req.headers.origin ?? '(none)'}`);
      return answer(res, 403, { code: 'forbidden', message: 'only the Parley page may stage files' });
    }
    const name = new URL(req.url ?? '/', origin).searchParams.get('name') ?? '';
    if (Number(req.headers['content-length']) > MAX_STAGED_BYTES) {
      res.setHeader('Connection', 'close');
      return answer(res, 413, { code: 'payload_too_large', message: `the file is larger than the ${MAX_STAGED_BYTES} bytes a file may have` });
    }
    try {
      answer(res, 200, await options.bridge.staging.write(name, req));
    } catch (error) {
      if (!(error instanceof ParleyError)) log('could not stage a file', error);
      const body = error instanceof ParleyError ? error.toBody() : { code: 'internal', message: 'could not take the file' };
      // The rest of a refused body is not read: close rather than keep the connection.
      res.setHeader('Connection', 'close');
      answer(res, error instanceof ParleyError && error.code === 'payload_too_large' ? 413 : 500, body);
    }
  }

  /** A file the engine saved or sent, by its transfer id: what openFile answers in this host. */
  async function serveLocal(req: IncomingMessage, res: ServerResponse, id: string) {
    if (req.method !== 'GET') return void res.writeHead(405, { Allow: 'GET' }).end();
    if (!authorised(req, false)) return void res.writeHead(403).end();
    const transfer = options.bridge.localTransfer(decodeURIComponent(id));
    const info = transfer ? await stat(transfer.path).catch(() => null) : null;
    if (!transfer || !info?.isFile()) return void res.writeHead(404).end('not found');
    const attachment = new URL(req.url ?? '/', origin).searchParams.has('download') ? 'attachment' : 'inline';
    res.writeHead(200, {
      'Content-Type': transfer.mime || 'application/octet-stream',
      'Content-Length': info.size,
      'Content-Disposition': `${attachment}; filename*=UTF-8''${encodeURIComponent(basename(transfer.path))}`,
      // Whatever the file holds, it never runs as this origin's page.
      'Content-Security-Policy': "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    });
    createReadStream(transfer.path).pipe(res);
  }

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
    ws.on('message', (data, isBinary) => {
      answerFrame(ws, data, isBinary).catch((error: unknown) => log('could not answer a bridge frame', error));
    });
  }

  async function answerFrame(ws: WebSocket, data: RawData, isBinary: boolean): Promise<void> {
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

