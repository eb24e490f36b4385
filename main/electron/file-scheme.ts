// parley-file://<transfer id>: how the page shows a file on this device (the image viewer) without
// file: access. It serves only files the engine saved or sent, looked up by transfer id in the
// bridge, exactly as the browser host's /local does; any other URL is a 404.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { protocol } from 'electron';
import type { Bridge } from '../bridge/index.js';

export const FILE_SCHEME = 'parley-file';

export const fileSchemeUrl = (transferId: string): string => `${FILE_SCHEME}://${transferId}`;

/**
 * Before the app is ready. Standard (the id parses as the host) and secure (a page may load it without
 * mixed-content rules); no fetch, CORS or service workers: the page only ever puts it in an <img>.
 */
export function registerFileSchemePrivileges(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: FILE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false, allowServiceWorkers: false } },
  ]);
}

const notFound = () => new Response('not found', { status: 404 });

export function fileSchemeHandler(localTransfer: Bridge['localTransfer']): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    // Only the bare parley-file://<id>/: a path or query is not something this scheme hands out.
    if (request.method !== 'GET' || (url.pathname !== '/' && url.pathname !== '') || url.search) return notFound();
    const transfer = localTransfer(url.hostname);
    const info = transfer ? await stat(transfer.path).catch(() => null) : null;
    if (!transfer || !info?.isFile()) return notFound();
    return new Response(Readable.toWeb(createReadStream(transfer.path)) as ReadableStream<Uint8Array>, {
      headers: {
        'Content-Type': transfer.mime || 'application/octet-stream',
        'Content-Length': String(info.size),
        // Whatever the file holds, it never runs as a page.
        'Content-Security-Policy': "default-src 'none'; sandbox",
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      },
    });
  };
}

/** After the app is ready. */
export function serveFileScheme(localTransfer: Bridge['localTransfer']): void {
  protocol.handle(FILE_SCHEME, fileSchemeHandler(localTransfer));
}
