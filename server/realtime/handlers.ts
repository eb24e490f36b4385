// The handler table: one entry per protocol event, each receiving a payload already validated
// against its schema and the device that sent it.
import type { Address, RequestName, RequestPayload, RequestResult, SignalName, SignalPayload } from '../../protocol/index.js';
import type { Messaging } from '../services/messaging.js';

export interface DeviceContext {
  address: Address;
  deviceId: string;
  socketId: string;
}

type RequestHandlers = {
  [N in RequestName]: (m: Messaging, d: DeviceContext, p: RequestPayload<N>) => Promise<RequestResult<N>>;
};
type SignalHandlers = {
  [N in SignalName]: (m: Messaging, d: DeviceContext, p: SignalPayload<N>) => Promise<void>;
};

export const requestHandlers: RequestHandlers = {
  'conversation:create': (m, d, p) => m.createConversation(d.address, p),
  'conversation:edit': (m, d, { conversationId, ...details }) => m.editConversation(d.address, conversationId, details, d.socketId),
  'conversation:add': (m, d, p) => m.addMembers(d.address, p.conversationId, p.members, d.socketId),
  'conversation:remove': (m, d, p) => m.removeMembers(d.address, p.conversationId, p.members, d.socketId),
  'conversation:leave': (m, d, p) => m.leave(d.address, p.conversationId, d.socketId),
  'conversation:role': (m, d, p) => m.setRole(d.address, p.conversationId, p.address, p.role, d.socketId),
  'message:send': (m, d, p) => m.sendMessage(d.address, d.deviceId, p, d.socketId),
  'message:edit': (m, d, p) => m.editMessage(d.address, d.deviceId, p, d.socketId),
  'message:delete': (m, d, p) => m.deleteMessage(d.address, d.deviceId, p, d.socketId),
  'message:react': (m, d, p) => m.react(d.address, d.deviceId, p, d.socketId),
  'message:hide': (m, d, p) => m.hideMessages(d.address, p, d.socketId),
  'hidden:list': (m, d, p) => m.hiddenList(d.address, p.after),
  receipt: (m, d, p) => m.receipt(d.address, p),
  sync: (m, d) => m.sync(d.address),
  retransmit: (m, d, p) => m.retransmit(d.address, p),
  'users:search': (m, _d, p) => m.searchUsers(p.query, p.limit),
  'profile:set': (m, d, p) => m.setProfile(d.address, p, d.socketId),
};

export const signalHandlers: SignalHandlers = {
  typing: (m, d, p) => m.typing(d.address, p.conversationId, d.socketId),
  activity: (m, d, p) => m.activity(d.address, d.socketId, p.active),
};
