// The server's socket.io encoder (server/realtime/encoded-push.ts): an event whose payload is JSON
// text already goes on the wire as socket.io writes the parsed payload; anything else as before.
import * as parser from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import { EncodedPayload, serverParser } from '../../server/realtime/encoded-push.js';

const plain = new parser.Encoder();
const encoder = new serverParser.Encoder();
const event = (data: unknown[], nsp = '/', id?: number): parser.Packet => ({ type: parser.PacketType.EVENT, nsp, data, ...(id === undefined ? {} : { id }) });

describe('the encoder of pushes encoded once', () => {
  const payload = { conversationId: 'g', seq: 7, body: 'quotes " and \\ and \u0001 and 🎉', tags: [1, null, true] };

  it('writes an encoded payload as socket.io writes the payload itself', () => {
    expect(encoder.encode(event(['event', new EncodedPayload(JSON.stringify(payload))]))).toEqual(plain.encode(event(['event', payload])));
    expect(encoder.encode(event(['odd "name"', new EncodedPayload('[]')], '/admin'))).toEqual(plain.encode(event(['odd "name"', []], '/admin')));
  });

  it('decodes to the payload on the other side', () => {
    const [text] = encoder.encode(event(['event', new EncodedPayload(JSON.stringify(payload))])) as [string];
    const decoder = new parser.Decoder();
    const decoded = new Promise<parser.Packet>((resolve) => decoder.on('decoded', resolve));
    decoder.add(text);
    return expect(decoded).resolves.toMatchObject({ type: parser.PacketType.EVENT, data: ['event', payload] });
  });

  it('leaves every other packet to socket.io’s encoder: plain payloads, binary, acknowledgements, other packet types', () => {
    const others: parser.Packet[] = [
      event(['event', payload]),
      event(['file', Buffer.from([1, 2, 3])]),
      event(['ask', payload], '/', 12),
      { type: parser.PacketType.CONNECT, nsp: '/', data: { sid: 'x' } },
      { type: parser.PacketType.DISCONNECT, nsp: '/admin' },
    ];
    for (const packet of others) expect(encoder.encode(packet)).toEqual(plain.encode(packet));
  });

  it('writes an encoded payload that misses the text path (more arguments, an acknowledgement) as the payload itself', () => {
    const encoded = new EncodedPayload(JSON.stringify(payload));
    expect(encoder.encode(event(['event', encoded, 'more']))).toEqual(plain.encode(event(['event', payload, 'more'])));
    expect(encoder.encode(event(['ask', encoded], '/', 12))).toEqual(plain.encode(event(['ask', payload], '/', 12)));
  });
});
