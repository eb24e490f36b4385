// A push whose payload is JSON text already. With several nodes, the node that makes a push encodes
// it once, for its own devices and, in the bundle, for the other nodes' devices; those send the text
// on as it came, where they had parsed it only to encode it again (measured: the parse was most of
// what a bundle cost the nodes that read it). socket.io takes this encoder through its `parser`
// option; the packet on the wire is the one it writes for the parsed payload.
import * as parser from 'socket.io-parser';

export class EncodedPayload {
  constructor(readonly json: string) {}
  /** A packet the encoder below does not write as text (one with more arguments) still carries the payload, parsed again. */
  toJSON(): unknown {
    return JSON.parse(this.json);
  }
}

class Encoder extends parser.Encoder {
  override encode(packet: parser.Packet): ReturnType<parser.Encoder['encode']> {
    const data: unknown = packet.data;
    if (packet.type === parser.PacketType.EVENT && packet.id === undefined && Array.isArray(data) && data.length === 2 && data[1] instanceof EncodedPayload) {
      // As encodeAsString writes an event without an id.
      const nsp = packet.nsp && packet.nsp !== '/' ? `${packet.nsp},` : '';
      return [`${packet.type}${nsp}[${JSON.stringify(data[0])},${data[1].json}]`];
    }
    return super.encode(packet);
  }
}

/** socket.io's parser, with events whose payload is an EncodedPayload written as their text. */
export const serverParser = { ...parser, Encoder };
