// Fuzzing the real-time API: for every request and signal in protocol/events.ts, payloads drawn from
// its schema and mutated (wrong types, missing and extra keys, huge strings and arrays, deep nesting,
// prototype keys, lone surrogates, edge numbers, non-objects), sent by a signed-in user on a real
// socket to a real server on 127.0.0.1. Every refusal must be a clear error; the server must keep
// answering another user's sync; a conversation the fuzzing user is not in must not change.
// Replay a failure with FUZZ_SEED=<seed printed> (and FUZZ_RUNS to run longer).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requests, signals, type Conversation, type ConversationEvent } from '../../protocol/index.js';
import { cleanup, rawDevice, startTestServer, type RawDevice, type TestServer } from '../support/harness.js';
import { assertNoPollution, clearError, fuzzParams, hostileValue, preview, validOrMutated, type KeyHints, fuzzTimeout } from './arbitraries.js';

const RUNS = 60;
const ANSWER_MS = 5_000;

let server: TestServer;
let bob: RawDevice;
let mallory: RawDevice;
let malloryToken: string;
/** alice and bob's conversation, which mallory is not in. */
let victimId: string;
/** mallory and bob's group, where mallory's valid requests reach the handlers. */
let ownId: string;
let hints: KeyHints;

async function snapshot(): Promise<{ conversation: Conversation | undefined; events: ConversationEvent[] }> {
  const sync = await bob.request<{ conversations: Conversation[] }>('sync', {});
  if (!sync.ok) throw new Error(`bob's sync failed: ${preview(sync.error)}`);
  const conversation = sync.data.conversations.find((c) => c.id === victimId);
  const page = await bob.request<{ events: ConversationEvent[] }>('retransmit', { conversationId: victimId, fromSeq: 1, toSeq: Math.max(1, conversation?.lastSeq ?? 1) });
  if (!page.ok) throw new Error(`bob's retransmit failed: ${preview(page.error)}`);
  return { conversation, events: page.data.events };
}

/** mallory's socket, opened again when a frame past the limit closed it. */
async function malloryDevice(): Promise<RawDevice> {
  if (!mallory.socket.connected) mallory = await rawDevice(server.url, malloryToken, 'mallory-fuzz');
  return mallory;
}

/** Another user's sync still answers, and correctly. */
async function othersStillServed(): Promise<void> {
  const reply = await bob.request<{ me: { address: string } }>('sync', {});
  if (!reply.ok || reply.data.me.address !== 'bob') throw new Error(`bob's sync answered ${preview(reply)}`);
}

/** Sends one payload as mallory; answers why it is a finding, or null. */
async function send(name: string, payload: unknown): Promise<string | null> {
  const device = await malloryDevice();
  let reply: unknown;
  try {
    reply = await device.socket.timeout(ANSWER_MS).emitWithAck(name, payload);
  } catch (error) {
    // A frame larger than the server takes closes the socket: a refusal, if a blunt one.
    if (!device.socket.connected) return null;
    return `no answer to ${name}: ${(error as Error).message}`;
  }
  const r = reply as { ok?: unknown; error?: unknown };
  if (r?.ok === true) return null;
  if (r?.ok !== false) return `not a reply: ${preview(reply)}`;
  return clearError(r.error);
}

beforeAll(async () => {
  server = await startTestServer();
  const [aliceToken, bobToken] = [await server.user('alice'), await server.user('bob')];
  malloryToken = await server.user('mallory');
  await server.user('carol');
  const alice = await rawDevice(server.url, aliceToken, 'alice-device');
  bob = await rawDevice(server.url, bobToken, 'bob-device');
  mallory = await rawDevice(server.url, malloryToken, 'mallory-fuzz');
  const direct = await alice.request<Conversation>('conversation:create', { participants: ['bob'], type: 'direct' });
  if (!direct.ok) throw new Error(preview(direct.error));
  victimId = direct.data.id;
  for (const body of ['one', 'two', 'three']) {
    const sent = await alice.request('message:send', { conversationId: victimId, clientId: `c-${body}`, body });
    if (!sent.ok) throw new Error(preview(sent.error));
  }
  const group = await mallory.request<Conversation>('conversation:create', { participants: ['bob'], type: 'group', title: 'mallory and bob' });
  if (!group.ok) throw new Error(preview(group.error));
  ownId = group.data.id;
  const addresses = fc.constantFrom('alice', 'bob', 'mallory', 'carol', 'nobody');
  hints = {
    conversationId: fc.constantFrom(victimId, ownId, 'no-such-conversation'),
    participants: fc.array(addresses, { minLength: 1, maxLength: 4 }),
    url: fc.oneof(
      fc.webUrl({ validSchemes: ['http', 'https'] }),
      fc.stringMatching(/^[0-9a-f]{32}$/).map((id) => `${server.url}/files/${id}`),
    ),
    sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
    mime: fc.constantFrom('image/png', 'text/plain', 'application/octet-stream'),
    query: fc.constantFrom('', 'a', 'bo', '%', '_', "'", '"; DROP TABLE users; --'),
  };
}, 30_000);

afterAll(cleanup);

describe('fuzz: socket requests', { timeout: fuzzTimeout(60_000) }, () => {
  const names = [...Object.keys(requests), ...Object.keys(signals)] as Array<keyof typeof requests | keyof typeof signals>;
  for (const name of names) {
    it(`${name}: valid and mutated payloads get a reply or a clear error; others unaffected`, async () => {
      const before = await snapshot();
      const schema = name in requests ? requests[name as keyof typeof requests].payload : signals[name as keyof typeof signals];
      await fc.assert(
        fc.asyncProperty(validOrMutated(schema, hints), async ({ how, value }) => {
          const finding = await send(name, value);
          if (finding) throw new Error(`${name} (${how}): ${finding}\npayload: ${preview(value)}`);
          await othersStillServed();
        }),
        fuzzParams(RUNS),
      );
      expect(await snapshot()).toEqual(before);
      assertNoPollution();
    });
  }

  it('unknown and prototype-named events and extra arguments get a clear error', async () => {
    const before = await snapshot();
    const reserved = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);
    const eventName = fc
      .oneof(
        fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'sync ', 'SYNC', 'message:send\u0000', 'x'.repeat(10_000)),
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 30, unit: 'binary' }),
      )
      .filter((n) => !reserved.has(n));
    await fc.assert(
      fc.asyncProperty(eventName, hostileValue(), fc.array(hostileValue({ hugeChars: 80_000 }), { maxLength: 2 }), async (name, payload, extra) => {
        const device = await malloryDevice();
        let reply: unknown;
        try {
          reply = await device.socket.timeout(ANSWER_MS).emitWithAck(name, payload, ...extra);
        } catch (error) {
          if (!device.socket.connected) return;
          throw new Error(`no answer to ${preview(name)}`, { cause: error });
        }
        const r = reply as { ok?: unknown; error?: unknown };
        // A request name with trailing junk is unknown; a real name with a junk payload is refused.
        if (r.ok === true && !(name in requests || name in signals)) throw new Error(`${preview(name)} was accepted`);
        if (r.ok === false) {
          const finding = clearError(r.error);
          if (finding) throw new Error(`${preview(name)}: ${finding}`);
        }
        await othersStillServed();
      }),
      fuzzParams(RUNS),
    );
    expect(await snapshot()).toEqual(before);
    assertNoPollution();
  });

  it('binary and oversized frames are refused without harm', async () => {
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(requests)),
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
          fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ conversationId: Buffer.from(bytes), body: Buffer.from(bytes) })),
          fc.constant({ conversationId: victimId, clientId: 'big', body: 'x'.repeat(600 * 1024) }),
        ),
        async (name, payload) => {
          const finding = await send(name, payload);
          if (finding) throw new Error(`${name}: ${finding}`);
          await othersStillServed();
        },
      ),
      fuzzParams(20),
    );
    expect(await snapshot()).toEqual(before);
  });
});
