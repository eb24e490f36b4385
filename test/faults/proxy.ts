// A TCP proxy between one engine and the server (or a server and its database), to cut its link on demand: every connection at
// once (FIN or RST), or after letting the client's next request through and swallowing the
// server's reply, so the engine never learns whether what it sent was stored.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

interface Link {
  client: Socket;
  upstream: Socket;
  /** Set while swallowing: server bytes are dropped; cut once a request went up and a reply was dropped. */
  swallow: { requestForwarded: boolean; done: () => void } | null;
}

export interface ProxyStats {
  connections: number;
  cuts: number;
  /** Connections cut right after a request went up and the server's answer was dropped. */
  cutAfterReply: number;
  swallowedBytes: number;
}

export interface Proxy {
  url: string;
  stats: ProxyStats;
  /** Cuts every open connection now: `reset` sends RST, otherwise FIN. Answers how many were open. */
  cut(reset: boolean): number;
  /**
   * Forwards the client's next request on each open connection, drops the server's answer, then
   * cuts; connections that send nothing are cut after `maxMs`. Answers how many were cut.
   */
  swallowThenCut(maxMs: number): Promise<number>;
  /** Down: every open connection is cut (RST) and new ones are closed at once, as by a host that is gone; up again: as before. */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<Proxy> {
  const links = new Set<Link>();
  const stats: ProxyStats = { connections: 0, cuts: 0, cutAfterReply: 0, swallowedBytes: 0 };

  const drop = (link: Link, reset: boolean) => {
    if (!links.delete(link)) return;
    for (const socket of [link.client, link.upstream]) {
      if (reset && !socket.destroyed && typeof socket.resetAndDestroy === 'function' && socket.readyState === 'open') socket.resetAndDestroy();
      else socket.destroy();
    }
    link.swallow?.done();
  };

  let down = false;
  const server = createServer((client) => {
    if (down) return void client.destroy();
    stats.connections++;
    const upstream = connect(targetPort, '127.0.0.1');
    const link: Link = { client, upstream, swallow: null };
    links.add(link);
    client.on('data', (chunk: Buffer) => {
      if (link.swallow) link.swallow.requestForwarded = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!link.swallow) return void client.write(chunk);
      stats.swallowedBytes += chunk.length;
      if (link.swallow.requestForwarded) {
        stats.cuts++;
        stats.cutAfterReply++;
        drop(link, false);
      }
    });
    // Either side going away takes the other with it, as a broken link would.
    for (const socket of [client, upstream]) {
      socket.on('error', () => drop(link, false));
      socket.on('close', () => drop(link, false));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    cut(reset) {
      const open = [...links];
      for (const link of open) drop(link, reset);
      stats.cuts += open.length;
      return open.length;
    },
    async swallowThenCut(maxMs) {
      const open = [...links];
      await Promise.all(
        open.map(
          (link) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(() => {
                if (links.has(link)) stats.cuts++;
                drop(link, false);
              }, maxMs);
              link.swallow = {
                requestForwarded: false,
                done: () => {
                  clearTimeout(timer);
                  resolve();
                },
              };
            }),
        ),
      );
      return open.length;
    },
    setDown(value) {
      down = value;
      if (down) for (const link of [...links]) drop(link, true);
    },
    async close() {
      for (const link of [...links]) drop(link, false);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
