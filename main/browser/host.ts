// The browser host: serves the built renderer on 127.0.0.1 and carries the contract over a WebSocket,
// for machines without the Electron binary and for end-to-end tests. The page's URL carries a random
// per-launch key in its fragment (never sent in requests or logged); the socket must present it and
// come from the page's own origin, so no other site or local user's page can drive the session.
//
// Any local process can reach the port, so every entry (HTTP requests, the upgrade, each WebSocket
// frame) parses what it is sent defensively and answers 400/403/404; nothing a peer sends throws out
// of a handler, and every stream and socket has its error handled.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Duplex } from 'node:stream';
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

/** decodeURIComponent without the throw on malformed escapes (`%E0%A4%A`). */
function decoded(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** A regular file, opened: what is streamed is what was checked, even if the path is removed or replaced meanwhile. */
async function openRegularFile(path: string): Promise<{ handle: FileHandle; size: number } | null> {
  const handle = await open(path, 'r').catch(() => null);
  if (!handle) return null;
  const info = await handle.stat().catch(() => null);
  if (info?.isFile()) return { handle, size: info.size };
  await handle.close().catch(() => {});
  return null;
}

/** What a peer sent, for a log line: short, on one line. */
const printable = (text: string | undefined) => JSON.stringify(text ?? '').slice(1, -1).slice(0, 200);

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const log = options.log ?? ((message: string, detail?: unknown) => console.warn(`[parley] ${message}`, detail ?? ''));
  const rendererDir = resolve(options.rendererDir);
  const key = randomBytes(32).toString('base64url');
  const keyDigest = digest(key);
  let origin = '';

  // A route that throws answers 500 and is logged; it never becomes an unhandled rejection.
  const http = createServer((req, res) => {
    // A peer that goes away mid-request, or a write after the end, is an 'error' event: handled, never thrown.
    req.on('error', () => {});
    res.on('error', (error) => log(`could not answer ${req.method ?? '?'} ${printable(req.url)}`, error));
    route(req, res).catch((error: unknown) => {
      log(`could not answer ${req.method ?? '?'} ${printable(req.url)}`, error);
      if (res.headersSent) return void res.destroy();
      res.writeHead(500).end();
    });
  });
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = target(req);
    if (!url) return void res.writeHead(400, { Connection: 'close' }).end('bad request target');
    if (url.pathname === '/stage') return stage(req, res, url);
    if (url.pathname.startsWith('/local/')) return serveLocal(req, res, url);
    return serveFile(req, res, url);
  }
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  /**
   * The request target as a URL on this origin, or null: only a path (origin-form) is ours. The
   * absolute form (`http://[`), `//host` and `/\\host` (which URL reads as another host), and
   * anything URL cannot parse are not; no browser sends them to this page's origin.
   */
  function target(req: IncomingMessage): URL | null {
    const raw = req.url ?? '';
    if (!raw.startsWith('/') || raw.startsWith('//')) return null;
    try {
      const url = new URL(raw, origin);
      return url.origin === origin ? url : null;
    } catch {
      return null;
    }
  }

  /** The key as the socket checks it, and (for script requests) the page's own origin. */
  function authorised(req: IncomingMessage, url: URL, fromScript: boolean): boolean {
    const presented = digest(url.searchParams.get('key') ?? '');
    return timingSafeEqual(presented, keyDigest) && (!fromScript || req.headers.origin === origin);
  }

  /** Streams an opened file as the body; a read that fails midway (a disk error) cuts the response and is logged. */
  function sendFile(res: ServerResponse, file: { handle: FileHandle; size: number }, headers: OutgoingHttpHeaders, head: boolean): void {
    res.writeHead(200, { ...headers, 'Content-Length': file.size });
    if (head) {
      res.end();
      void file.handle.close().catch(() => {});
      return;
    }
    // pipeline destroys both streams on a failure (the response too, so the peer sees a cut, not a short file).
    pipeline(file.handle.createReadStream(), res).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') log('could not send a file', error);
    });
  }

  const answer = (res: ServerResponse, status: number, body: unknown) =>
    void res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));

  /** The page's stageFiles: one file's bytes streamed to the staging dir; answers the StagedFile. */
  async function stage(req: IncomingMessage, res: ServerResponse, url: URL) {
    if (req.method !== 'POST') return void res.writeHead(405, { Allow: 'POST' }).end();
    if (!authorised(req, url, true)) {
      log(`refused a file upload from origin ${printable(req.headers.origin) || '(none)'}`);
      return answer(res, 403, { code: 'forbidden', message: 'only the Parley page may stage files' });
    }
    const name = url.searchParams.get('name') ?? '';
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
  async function serveLocal(req: IncomingMessage, res: ServerResponse, url: URL) {
    if (req.method !== 'GET') return void res.writeHead(405, { Allow: 'GET' }).end();
    if (!authorised(req, url, false)) return void res.writeHead(403).end();
    const id = decoded(url.pathname.slice('/local/'.length));
    if (id === null) return void res.writeHead(400).end('bad transfer id');
    const transfer = options.bridge.localTransfer(id);
    const file = transfer ? await openRegularFile(transfer.path) : null;
    if (!transfer || !file) return void res.writeHead(404).end('not found');
    const attachment = url.searchParams.has('download') ? 'attachment' : 'inline';
    sendFile(res, file, {
      'Content-Type': transfer.mime || 'application/octet-stream',
      'Content-Disposition': `${attachment}; filename*=UTF-8''${encodeURIComponent(basename(transfer.path))}`,
      // Whatever the file holds, it never runs as this origin's page.
      'Content-Security-Policy': "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    }, false);
  }

  async function serveFile(req: IncomingMessage, res: ServerResponse, url: URL) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    const path = decoded(url.pathname);
    if (path === null || path.includes('\0')) return void res.writeHead(400).end('bad path');
    const name = resolve(rendererDir, `.${path === '/' ? '/index.html' : path}`);
    if (!name.startsWith(rendererDir + sep)) return void res.writeHead(404).end();
    const file = await openRegularFile(name);
    if (!file) return void res.writeHead(404).end('not found');
    sendFile(res, file, {
      'Content-Type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
      'Content-Security-Policy': `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws://${new URL(origin).host}; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': extname(name) === '.html' ? 'no-store' : 'max-age=3600',
    }, req.method === 'HEAD');
  }

  // Node hands the socket over without its own error listener: a peer's reset must not become an uncaught 'error'.
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const url = target(req);
    if (!url) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    if (url.pathname !== '/bridge' || !authorised(req, url, true)) {
      log(`refused a bridge connection from origin ${printable(req.headers.origin) || '(none)'}`);
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    try {
      sockets.handleUpgrade(req, socket, head, (ws) => serveBridge(ws));
    } catch (error) {
      log('could not open a bridge connection', error);
      socket.destroy();
    }
  });

  function serveBridge(ws: WebSocket) {
    // A frame past maxPayload or one that breaks the protocol: ws closes the socket and reports it here.
    ws.on('error', (error) => log('closed a bridge connection that broke the protocol', error.message));
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

