// Running a group or channel from the app: edit its title and description, add and remove members,
// leave, make or remove admins. The server checks every rule and answers with the change's event,
// which is stored here like any other before the host hears of it (the server does not push it to
// the device that asked).
import { ParleyError, type ConversationEvent, type RequestName, type RequestPayload, type Role } from '../../protocol/index.js';
import type { EngineContext } from './context.js';
import { whenOnline } from './net/when-online.js';
import type { CatchUp } from './sync/catch-up.js';
import type { Address, ConversationSummary } from './types.js';

export type GroupDeps = Pick<EngineContext, 'store' | 'views' | 'connection' | 'events' | 'announce'> & { catchUp: CatchUp };

type GroupRequest = Extract<RequestName, 'conversation:edit' | 'conversation:add' | 'conversation:remove' | 'conversation:leave' | 'conversation:role'>;

export function createGroupApi(d: GroupDeps) {
  const { store, connection } = d;

  async function change<N extends GroupRequest>(name: N, payload: RequestPayload<N> & { conversationId: string }): Promise<ConversationSummary> {
    const known = store.conversations.get(payload.conversationId);
    if (!known) throw new ParleyError('not_found', `no conversation ${payload.conversationId} on this device`);
    await whenOnline(connection, d.events);
    // The answer's type follows N; every group request answers the same shape.
    const { event } = (await connection.request(name, payload)) as { event: ConversationEvent };
    const { have } = store.ingest([event], false);
    // Events before it not stored yet (pushed while this was in flight): catch-up fetches them.
    if ((have.get(event.conversationId) ?? 0) < event.seq) d.catchUp.soon();
    d.announce.conversation(event.conversationId);
    return d.views.conversation(event.conversationId)!;
  }

  return {
    /** A new title, description ('' clears it), or both (admins). */
    editConversation(conversationId: string, details: { title?: string; description?: string }): Promise<ConversationSummary> {
      return change('conversation:edit', { conversationId, ...details });
    },
    addMembers(conversationId: string, members: Address[]): Promise<ConversationSummary> {
      return change('conversation:add', { conversationId, members });
    },
    removeMembers(conversationId: string, members: Address[]): Promise<ConversationSummary> {
      return change('conversation:remove', { conversationId, members });
    },
    /** Leaves it: its history stays on this device, nothing new arrives. */
    leaveConversation(conversationId: string): Promise<ConversationSummary> {
      return change('conversation:leave', { conversationId });
    },
    setMemberRole(conversationId: string, address: Address, role: Role): Promise<ConversationSummary> {
      return change('conversation:role', { conversationId, address, role });
    },
  };
}
