// Presence reads who shares conversations with whom (a user's circle) from storage and keeps it for a
// minute; a membership change drops the copies at once. With several nodes the other nodes hold copies
// too: they are told to drop theirs (serverSideEmit), while the node that made the change tells the
// people concerned, as on one node.
import type { FastifyBaseLogger } from 'fastify';
import type { Server } from 'socket.io';
import { z } from 'zod';
import { Address, describeIssues } from '../../protocol/index.js';
import type { PresenceService } from '../presence/presence.js';

const CIRCLES_CHANGED = 'parley:circles';
/** null: a user's setting changed, so every circle that lists them. */
const CirclesMessage = z.array(Address).max(100_000).nullable();

export function sharedCircles(presence: PresenceService, io: Server, log: FastifyBaseLogger): PresenceService {
  io.on(CIRCLES_CHANGED, (addresses: unknown) => {
    const message = CirclesMessage.safeParse(addresses);
    if (message.success) presence.forgetCircles(message.data);
    else log.warn({ issues: describeIssues(message.error) }, 'a malformed message from another node was ignored');
  });
  return {
    ...presence,
    membersChanged(addresses) {
      presence.membersChanged(addresses);
      io.serverSideEmit(CIRCLES_CHANGED, addresses);
    },
    settingsChanged(address) {
      presence.settingsChanged(address);
      io.serverSideEmit(CIRCLES_CHANGED, null);
    },
  };
}
