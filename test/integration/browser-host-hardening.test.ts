// The browser host against what any local process can send it (issue 12, item 4), and the host
// process's guard against errors nobody handled. A real `npm start` (scripts/start.ts with its
// embedded server, in the browser host) is spawned and sent exact request bytes over raw TCP: request
// lines URL cannot parse, as plain requests and as upgrades, a malformed /local id with the key, frames
// that break the WebSocket protocol; after each, the host still answers. Then a rejected promise
// nobody handles leaves it running, and an uncaught exception makes it exit 1 with its message.
// File streaming faults (a file gone before it is read, a read that fails midway) use an in-process host.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Bridge } from '../../main/bridge/index.js';
import { startBrowserHost, type BrowserHost } from '../../main/browser/host.js';
import { STOPPED_MESSAGE } from '../../main/bridge/process-guard.js';
import { cleanup, onCleanup, tempDir, until } from '../support/harness.js';

const root = resolve(import.meta.dirname, '../..');

/** Writes `request` (lines joined with CRLF) on a fresh connection; resolves with all the host sent until it closed. */
function raw(port: number, request: string | Buffer): Promise<string> {
  return new Promise((done, fail) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('close', () => done(received));
    socket.on('error', fail);
  });
}
const lines = (...text: string[]) => `${text.join('\r\n')}\r\n\r\n`;
const status = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);

/** One masked client frame (RFC 6455), whatever its opcode. */
function frame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}

interface Launched {
  child: ChildProcess;
  origin: string;
  key: string;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** `npm start` in the browser host, on free ports, with the test's fault trigger loaded. */
async function launch(): Promise<Launched> {
  const dataDir = tempDir('parley-start-');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', join(root, 'test/support/fault-on-signal.ts'), 'scripts/start.ts', '--browser', '--no-open', '--port', '0', '--ui-port', '0', '--data-dir', dataDir],
    { cwd: root, env: { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  await until(() => /http:\/\/127\.0\.0\.1:\d+\/#key=\S+/.test(out) || child.exitCode !== null, 'the browser host URL', 60_000);
  const url = /(http:\/\/127\.0\.0\.1:(\d+))\/#key=(\S+)/.exec(out);
  if (!url) throw new Error(`npm start did not start:\n${out}\n${err}`);
  return { child, origin: url[1]!, port: Number(url[2]), key: url[3]!, stdout: () => out, stderr: () => err, exited };
}

/** The host answers: its page, and a request over the bridge socket. */
async function stillAnswers(host: Launched): Promise<void> {
  expect((await fetch(`${host.origin}/`)).status).toBe(200);
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/bridge?key=${host.key}`, { origin: host.origin });
  const reply = await new Promise<unknown>((done, fail) => {
    ws.once('open', () => ws.send(JSON.stringify({ id: 1, method: 'getAppInfo' })));
    ws.once('message', (data: Buffer) => done(JSON.parse(data.toString())));
    ws.once('error', fail);
  });
  ws.close();
  expect(reply).toMatchObject({ id: 1, reply: { ok: true, data: { host: 'browser' } } });
  expect(host.child.exitCode).toBeNull();
}

describe('npm start (browser host) against hostile local peers', () => {
  let host: Launched;
  beforeAll(async () => {
    host = await launch();
  }, 90_000);
  afterAll(cleanup);

  it('answers 400 to request targets URL cannot parse, as requests and as upgrades, without the key', async () => {
    for (const target of ['http://[', '//[::1', '//[::1/bridge', 'http://127.0.0.1:1/', '/\\evil.example/', '*']) {
      const response = await raw(host.port, lines(`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'));
      expect(status(response), target).toBe(400);
      const upgrade = await raw(host.port, lines(`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='));
      expect(status(upgrade), `upgrade ${target}`).toBe(400);
    }
    await stillAnswers(host);
  });

  it('answers 400 to a malformed /local id with the key, and 404 to one that names nothing', async () => {
    const bad = await raw(host.port, lines(`GET /local/%E0%A4%A?key=${host.key} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'));
    expect(status(bad)).toBe(400);
    const none = await raw(host.port, lines(`GET /local/nothing?key=${host.key} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'));
    expect(status(none)).toBe(404);
    const badPath = await raw(host.port, lines('GET /assets/%E0%A4%A.js HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close'));
    expect(status(badPath)).toBe(400);
    await stillAnswers(host);
  });

  it('closes a bridge socket that breaks the protocol (a reserved opcode, a frame past the limit, a binary frame) and keeps serving', async () => {
    const handshake = lines(
      `GET /bridge?key=${host.key} HTTP/1.1`,
      `Host: 127.0.0.1:${host.port}`,
      `Origin: ${host.origin}`,
      'Connection: Upgrade',
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    );
    const cases: Array<[Buffer, number]> = [
      [frame(0x3, Buffer.from('x')), 1002], // a reserved opcode
      [Buffer.from([0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 1009], // a length past 2^53
      [frame(0x2, Buffer.from('{}')), 1003], // binary: frames are JSON text
    ];
    for (const [bad, code] of cases) {
      // The close code the host sent; our side ends once it has it (the close handshake's answer).
      const closedWith = await new Promise<number>((done, fail) => {
        const socket = connect(host.port, '127.0.0.1', () => socket.write(handshake));
        let received = Buffer.alloc(0);
        let sent = false;
        socket.on('data', (chunk: Buffer) => {
          received = Buffer.concat([received, chunk]);
          const end = received.indexOf('\r\n\r\n');
          if (end < 0) return;
          if (!sent) {
            expect(status(received.toString('latin1'))).toBe(101);
            sent = true;
            socket.write(bad);
          }
          const frames = received.subarray(end + 4);
          if (frames.length >= 4 && frames[0] === 0x88) {
            done(frames.readUInt16BE(2));
            socket.end();
          }
        });
        socket.on('error', fail);
      });
      expect(closedWith).toBe(code);
    }
    await stillAnswers(host);
  });

  // The fault is raised by a signal (test/support/fault-on-signal.ts): POSIX only.
  it.skipIf(process.platform === 'win32')('logs a rejected promise nobody handled and keeps running; exits 1 with its message after an uncaught exception', async () => {
    host.child.kill('SIGUSR2');
    await until(() => host.stderr().includes('a deliberate rejection from the test'), 'the rejection logged');
    expect(host.stderr()).toContain('[parley] a promise was rejected and nothing handled it; Parley keeps running');
    await stillAnswers(host);

    host.child.kill('SIGUSR2');
    expect(await host.exited).toBe(1);
    expect(host.stderr()).toContain('a deliberate uncaught exception from the test');
    expect(host.stderr()).toContain(STOPPED_MESSAGE);
    expect(host.stderr()).not.toContain('could not close cleanly');
  });
});

describe('browser host streaming files', () => {
  afterEach(cleanup);

  async function hostWith(files: Record<string, string>, logged: unknown[][]): Promise<BrowserHost> {
    const bridge = {
      onEvent: () => () => {},
      localTransfer: (id: string) => (files[id] ? { id, path: files[id], mime: 'application/octet-stream' } : null),
      dispatch: async () => ({ ok: true, data: null }),
    } as unknown as Bridge;
    const rendererDir = tempDir();
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html>');
    const host = await startBrowserHost({ bridge, rendererDir, log: (...entry) => void logged.push(entry) });
    onCleanup(() => host.close());
    return host;
  }

  it('answers 404 for a file removed after the engine named it, and cuts (and logs) a read that fails midway', async () => {
    const dir = tempDir();
    const kept = join(dir, 'kept.bin');
    writeFileSync(kept, 'bytes');
    const logged: unknown[][] = [];
    const host = await hostWith({ gone: join(dir, 'removed.bin'), kept, eio: '/proc/self/mem' }, logged);
    const key = new URL(host.url).hash.slice('#key='.length);
    const local = (id: string) => raw(host.port, lines(`GET /local/${id}?key=${key} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'));

    expect(status(await local('gone'))).toBe(404);
    const ok = await local('kept');
    expect(status(ok)).toBe(200);
    expect(ok.endsWith('bytes')).toBe(true);
    if (process.platform === 'linux') {
      // /proc/self/mem is a regular file whose first page cannot be read (EIO).
      await local('eio');
      await until(() => logged.some(([message]) => message === 'could not send a file'), 'the failed read logged');
      expect(logged.find(([message]) => message === 'could not send a file')![1]).toMatchObject({ code: 'EIO' });
    }
    expect(status(await local('kept'))).toBe(200);
  });
});
