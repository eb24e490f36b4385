// The server's update feed (server/updates/feed.ts) for real: a release laid out as electron-builder
// writes it (latest-linux.yml, the installer, its gzipped JSON .blockmap), read over HTTP the way an
// updater reads it (the channel file, the installer whole and by single ranges), then by
// electron-updater's own generic provider and differential downloader. Path tricks, raw on the wire
// (fetch would normalise them away), get nothing out of the feed folder.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { request } from 'node:http';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { load } from 'js-yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, startTestServer, tempDir, type TestServer } from '../support/harness.js';

afterEach(cleanup);

// electron-updater's own generic provider and differential downloader (no Electron in them), with
// electron-builder's Node HTTP executor in place of Electron's net module.
const requireUpdater = createRequire(import.meta.resolve('electron-updater/package.json'));
type Request = import('node:http').ClientRequest;
type RequestOptions = import('node:http').RequestOptions & { headers?: Record<string, string> };
const { GenericProvider } = requireUpdater('./out/providers/GenericProvider.js') as {
  GenericProvider: new (
    configuration: { provider: 'generic'; url: string },
    updater: { channel: string | null; isAddNoCacheQuery: boolean },
    runtimeOptions: { isUseMultipleRangeRequest: boolean; platform: NodeJS.Platform; executor: unknown },
  ) => { getLatestVersion(): Promise<{ version: string; stagingPercentage?: number }>; resolveFiles(info: unknown): { url: URL; info: { sha512: string; size: number } }[] };
};
const { GenericDifferentialDownloader } = requireUpdater('./out/differentialDownloader/GenericDifferentialDownloader.js') as {
  GenericDifferentialDownloader: new (
    file: { size: number; sha512: string },
    executor: unknown,
    options: { oldFile: string; newFile: string; newUrl: URL; logger: object; requestHeaders: null; isUseMultipleRangeRequest: boolean; cancellationToken: unknown },
  ) => { download(oldBlockMap: unknown, newBlockMap: unknown): Promise<unknown> };
};
const { CancellationToken } = requireUpdater('builder-util-runtime') as { CancellationToken: new () => unknown };
const { NodeHttpExecutor } = createRequire(import.meta.resolve('app-builder-lib/package.json'))('builder-util/out/nodeHttpExecutor') as {
  NodeHttpExecutor: new () => { createRequest(options: RequestOptions, callback: (response: unknown) => void): Request };
};

const sha512 = (bytes: Buffer) => createHash('sha512').update(bytes).digest('base64');
const INSTALLER = 'Parley-0.2.0-linux-x86_64.AppImage';

/** A blockmap as electron-builder writes one: gzipped JSON, the file cut into chunks with a checksum each. */
function blockmapOf(bytes: Buffer, chunk = 64 * 1024) {
  const sizes: number[] = [];
  const checksums: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunk) {
    const part = bytes.subarray(offset, offset + chunk);
    sizes.push(part.length);
    checksums.push(createHash('sha256').update(part).digest('base64'));
  }
  return gzipSync(JSON.stringify({ version: '2', files: [{ name: 'file', offset: 0, checksums, sizes }] }));
}

/** GET or HEAD exactly `path`, as sent on the wire. */
function raw(t: TestServer, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const { hostname, port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('update feed', () => {
  let t: TestServer;
  let installer: Buffer;
  let feed: string;

  beforeEach(async () => {
    t = await startTestServer();
    feed = join(t.dataDir, 'updates', 'stable'); // the default: <data dir>/updates/<channel>
    mkdirSync(feed, { recursive: true });
    installer = randomBytes(300 * 1024 + 17);
    const blockmap = blockmapOf(installer);
    writeFileSync(join(feed, INSTALLER), installer);
    writeFileSync(join(feed, `${INSTALLER}.blockmap`), blockmap);
    writeFileSync(
      join(feed, 'latest-linux.yml'),
      [
        'version: 0.2.0',
        'files:',
        `  - url: ${INSTALLER}`,
        `    sha512: ${sha512(installer)}`,
        `    size: ${installer.length}`,
        `    blockMapSize: ${blockmap.length}`,
        `path: ${INSTALLER}`,
        `sha512: ${sha512(installer)}`,
        "releaseDate: '2026-12-03T08:00:00.000Z'",
        'stagingPercentage: 50',
        '',
      ].join('\n'),
    );
  });

  it('serves the channel file and the installer it names, whose sha512 matches', async () => {
    const channelFile = await fetch(`${t.url}/updates/stable/latest-linux.yml`);
    expect(channelFile.status).toBe(200);
    expect(channelFile.headers.get('content-type')).toBe('text/yaml; charset=utf-8');
    expect(channelFile.headers.get('cache-control')).toBe('no-cache');
    const info = load(await channelFile.text()) as { version: string; stagingPercentage: number; files: { url: string; sha512: string; size: number }[] };
    expect(info).toMatchObject({ version: '0.2.0', stagingPercentage: 50 });

    const file = info.files[0]!;
    const download = await fetch(`${t.url}/updates/stable/${encodeURIComponent(file.url)}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('accept-ranges')).toBe('bytes');
    expect(Number(download.headers.get('content-length'))).toBe(file.size);
    expect(sha512(Buffer.from(await download.arrayBuffer()))).toBe(file.sha512);

    const head = await fetch(`${t.url}/updates/stable/${INSTALLER}`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, String(installer.length), '']);
  });

  it('serves the blockmap, and each of its chunks by a single range (206), resuming too', async () => {
    const blockmap = JSON.parse(gunzipSync(Buffer.from(await (await fetch(`${t.url}/updates/stable/${INSTALLER}.blockmap`)).arrayBuffer())).toString()) as {
      files: { sizes: number[] }[];
    };
    let offset = 0;
    for (const size of blockmap.files[0]!.sizes.slice(0, 3)) {
      const part = await fetch(`${t.url}/updates/stable/${INSTALLER}`, { headers: { range: `bytes=${offset}-${offset + size - 1}` } });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes ${offset}-${offset + size - 1}/${installer.length}`);
      expect(Buffer.from(await part.arrayBuffer()).equals(installer.subarray(offset, offset + size))).toBe(true);
      offset += size;
    }
    const rest = await fetch(`${t.url}/updates/stable/${INSTALLER}`, { headers: { range: `bytes=${offset}-` } });
    expect(Buffer.from(await rest.arrayBuffer()).equals(installer.subarray(offset))).toBe(true);

    const past = await fetch(`${t.url}/updates/stable/${INSTALLER}`, { headers: { range: `bytes=${installer.length}-` } });
    expect([past.status, past.headers.get('content-range')]).toEqual([416, `bytes */${installer.length}`]);
    // Several ranges at once: the whole file (the app's updater asks one range at a time).
    const several = await fetch(`${t.url}/updates/stable/${INSTALLER}`, { headers: { range: 'bytes=0-9, 20-29' } });
    expect([several.status, Number(several.headers.get('content-length'))]).toEqual([200, installer.length]);
    await several.arrayBuffer();
    // A range of another version of the file (If-Range with an old ETag): the whole new file.
    const stale = await fetch(`${t.url}/updates/stable/${INSTALLER}`, { headers: { range: 'bytes=0-9', 'if-range': '"old"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
  });

  it('answers 404 for a file or channel that is not there, in the server’s error shape', async () => {
    for (const path of ['/updates/stable/latest-mac.yml', '/updates/beta/latest-linux.yml', '/updates/stable']) {
      const response = await raw(t, path);
      expect(response.status, path).toBe(404);
      expect(JSON.parse(response.body.toString()), path).toMatchObject({ error: { code: 'not_found' } });
    }
  });

  it('gives nothing from outside the feed folder, whatever the path says', async () => {
    writeFileSync(join(t.dataDir, 'updates', 'secret.yml'), 'outside the channel');
    symlinkSync(join(t.dataDir, 'app-token.json'), join(feed, 'token.yml'));
    symlinkSync(t.dataDir, join(t.dataDir, 'updates', 'data'));
    const tricks = [
      '/updates/stable/..%2F..%2Fparley.db',
      '/updates/stable/..%2Fsecret.yml',
      '/updates/stable/%2e%2e%2fsecret.yml',
      '/updates/stable/..%5C..%5Cparley.db',
      '/updates/stable/../secret.yml',
      '/updates/stable/../../parley.db',
      '/updates/..%2F/parley.db',
      '/updates/%2e%2e/parley.db',
      '/updates/data/parley.db', // a channel that is a symlink out of the folder
      '/updates/stable/token.yml', // a file that is a symlink out of it
      '/updates/stable/.hidden',
      '/updates/stable/latest-linux.yml%00.png',
      '/updates/Stable/latest-linux.yml',
      '/updates/stable/latest-linux.yml/',
      '/updates/stable/',
    ];
    for (const path of tricks) {
      const response = await raw(t, path);
      expect([400, 404], `${path}: ${response.status}`).toContain(response.status);
      expect(response.body.toString(), path).not.toMatch(/outside the channel|SQLite format|hash/);
    }
  });

  it("is read by electron-updater's own generic provider, and its differential download fetches only the changed blocks", async () => {
    const executor = new NodeHttpExecutor();
    const ranges: string[] = [];
    const createRequest = executor.createRequest.bind(executor);
    executor.createRequest = (options, callback) => {
      if (options.headers?.['range'] ?? options.headers?.['Range']) ranges.push(String(options.headers['range'] ?? options.headers['Range']));
      return createRequest(options, callback);
    };
    const provider = new GenericProvider({ provider: 'generic', url: `${t.url}/updates/stable` }, { channel: null, isAddNoCacheQuery: true }, { isUseMultipleRangeRequest: false, platform: 'linux', executor });
    const info = await provider.getLatestVersion();
    expect(info).toMatchObject({ version: '0.2.0', stagingPercentage: 50 });
    const [file] = provider.resolveFiles(info);
    expect(file!.url.href).toBe(`${t.url}/updates/stable/${INSTALLER}`);

    // The installed version differs from the new one in one 64 KiB block: only that block crosses.
    const old = Buffer.from(installer);
    old.fill(7, 70_000, 70_100);
    const dir = tempDir('parley-differential-');
    writeFileSync(join(dir, 'old.AppImage'), old);
    const blockmap = (bytes: Buffer) => JSON.parse(gunzipSync(blockmapOf(bytes)).toString()) as unknown;
    const downloader = new GenericDifferentialDownloader({ size: installer.length, sha512: file!.info.sha512 }, executor, {
      oldFile: join(dir, 'old.AppImage'),
      newFile: join(dir, 'new.AppImage'),
      newUrl: file!.url,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      requestHeaders: null,
      isUseMultipleRangeRequest: false,
      cancellationToken: new CancellationToken(),
    });
    await downloader.download(blockmap(old), blockmap(installer)); // checks the result's sha512 itself
    expect(readFileSync(join(dir, 'new.AppImage')).equals(installer)).toBe(true);
    expect(ranges).toEqual([`bytes=${64 * 1024}-${2 * 64 * 1024 - 1}`]);
  });
});
