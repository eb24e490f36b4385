// An in-memory host: a ParleyBridge with the real host's contract (each request's argument checked
// against contract/requests.ts, unauthorized until signed in, the engine's events for what it does)
// and the engine's semantics where the UI depends on them (pages oldest first with still-sending
// messages last, ids stable from sending to sent); the renderer's ParleyApi over it (toApi, as the
// app has it), a call log, and emit() to play the host's events. test/renderer/contract.test.ts runs
// the shared contract suite (test/support/contract-suite.ts) against it, as against the real bridge.
import { BridgeError, toApi, type BridgeReply, type ParleyApi, type ParleyBridge } from '../../contract/api';
import type { BridgeEvents, EventName } from '../../contract/events';
import { isRequestName, requests, type DesktopSettings, type FileSettings, type RequestArg, type RequestName } from '../../contract/requests';
import { invalidPayload, ParleyError } from '../../protocol/index';
import type { Address, ConversationSummary, DemoUser, FileTransfer, Message, MessageFile, Presence, Profile, SessionState, StagedFolder, UpdateState, User, WatchedFolderView } from '../../contract/types';

/** A 1×1 PNG: what the fake's avatar shows. */
const AVATAR = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

export const NOW = new Date(2026, 2, 12, 14, 2).getTime();
const MINUTE = 60_000;

export const USERS: User[] = [
  { address: 'alice', name: 'Alice Martin' },
  { address: 'bob', name: 'Bob Okafor' },
  { address: 'carol', name: 'Carol Nguyen' },
  { address: 'dave', name: 'Dave Ito' },
];
const DEMO_USERS: DemoUser[] = USERS.slice(0, 3);

export interface FakeOptions {
  /** Signed in as this address, or signed out (with this reason) when null. */
  me?: Address | null;
  signedOutReason?: string | null;
  /** How many messages the "Archive" conversation holds (for paging and virtualization). */
  archiveSize?: number;
  /** How many of c-archive's newest messages are unread. */
  archiveUnread?: number;
  /** Which host getAppInfo says this is (default the browser host). */
  host?: 'electron' | 'browser';
  /** The OS getAppInfo names (default linux). */
  platform?: string;
  /** What checkForUpdate finds (the Electron host only): this version, or nothing newer. */
  updateVersion?: string;
  /**
   * The server answers: a message sent becomes sent (its seq, a messageStatus event) on the next
   * turn, as the engine's outbox does. Off by default, so a test plays each status with emit().
   */
  autoSend?: boolean;
}

/** Requests the host answers signed out too; every other one is unauthorized until signed in. */
const WITHOUT_SESSION: ReadonlySet<RequestName> = new Set([
  'getAppInfo',
  'getSession',
  'signIn',
  'signInDemo',
  'signOut',
  'chooseFolder',
  'getDesktopSettings',
  'setDesktopSettings',
  'getUpdateState',
  'checkForUpdate',
  'downloadUpdate',
  'installUpdate',
]);

export type FakeParley = ReturnType<typeof createFakeParley>;

export function createFakeParley(options: FakeOptions = {}) {
  const me0 = options.me === undefined ? 'alice' : options.me;
  let session: SessionState = me0
    ? { state: 'signedIn', me: me0, serverUrl: 'http://127.0.0.1:7300', demoUsers: DEMO_USERS, connection: { state: 'online' } }
    : { state: 'signedOut', reason: options.signedOutReason ?? null, serverUrl: 'http://127.0.0.1:7300', demoUsers: DEMO_USERS };
  const me = () => (session.state === 'signedIn' ? session.me : '');

  const conversations = new Map<string, ConversationSummary>();
  const history = new Map<string, Message[]>();
  const calls: Array<{ name: RequestName; arg: unknown }> = [];
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  let nextClientId = 1;

  function text(conversationId: string, seq: number, sender: Address, body: string, time: number): Message {
    const mine = sender === me();
    return { id: `${sender}:m${conversationId}-${seq}`, conversationId, seq, kind: 'text', sender, mine, body, time, status: mine ? 'read' : null };
  }

  function addConversation(summary: Omit<ConversationSummary, 'lastMessage' | 'lastSeq' | 'haveSeq' | 'unread' | 'readSeq' | 'muted' | 'mentions'>, messages: Message[], unread = 0) {
    history.set(summary.id, messages);
    const lastSeq = messages.at(-1)?.seq ?? 0;
    conversations.set(summary.id, { ...summary, lastMessage: messages.at(-1) ?? null, lastSeq, haveSeq: lastSeq, readSeq: lastSeq - unread, unread, mentions: 0, muted: false });
  }

  /** A stored or still-sending message by id. */
  function stored(id: string): Message {
    const found = [...history.values(), pending].flat().find((m) => m.id === id);
    if (!found) throw new BridgeError('not_found', `no message ${id} on this device`);
    return found;
  }

  /** As the engine: `@address` tokens of the conversation's participants. */
  function mentionsIn(conversationId: string, body: string): Address[] {
    const addresses = new Set(known(conversationId).participants.map((p) => p.address));
    return [...new Set([...body.matchAll(/@([A-Za-z0-9+._@-]+)/g)].map((m) => m[1]!).filter((a) => addresses.has(a)))];
  }

  /** A message changed in place: the engine's messageChanged event, and the message as the answer. */
  function changed(message: Message): Message {
    emit('messageChanged', message);
    return message;
  }

  const participants = (...addresses: Address[]) => addresses.map((address) => ({ address, role: 'member' as const, deliveredSeq: 0, readSeq: 0 }));

  addConversation(
    { id: 'c-bob', type: 'direct', title: null, participants: participants('alice', 'bob'), lastActivity: NOW - 5 * MINUTE },
    [
      text('c-bob', 1, 'alice', 'Morning! Did the build go out last night?', NOW - 50 * MINUTE),
      text('c-bob', 2, 'bob', 'It did. Installers are on https://files.example.com/builds.', NOW - 20 * MINUTE),
      text('c-bob', 3, 'bob', 'Ping me if anything looks off.', NOW - 5 * MINUTE),
    ],
    2,
  );
  addConversation(
    // alice made it: she is its admin.
    { id: 'c-launch', type: 'group', title: 'Launch plan', participants: participants('alice', 'bob', 'carol').map((p) => (p.address === 'alice' ? { ...p, role: 'admin' as const } : p)), lastActivity: NOW - 3 * 24 * 60 * MINUTE },
    [
      { ...text('c-launch', 1, 'carol', JSON.stringify({ added: ['dave'], removed: [] }), NOW - 4 * 24 * 60 * MINUTE), id: 'c-launch#1', kind: 'members' },
      text('c-launch', 2, 'carol', 'Welcome to the launch plan.', NOW - 3 * 24 * 60 * MINUTE),
    ],
    1,
  );
  const archiveSize = options.archiveSize ?? 0;
  if (archiveSize > 0) {
    const start = NOW - 400 * 24 * 60 * MINUTE;
    addConversation(
      { id: 'c-archive', type: 'direct', title: null, participants: participants('alice', 'carol'), lastActivity: start + archiveSize * MINUTE },
      Array.from({ length: archiveSize }, (_, i) => text('c-archive', i + 1, i % 3 ? 'carol' : 'alice', `Archived message ${i + 1}`, start + (i + 1) * MINUTE)),
      options.archiveUnread,
    );
  }

  const pending: Message[] = [];
  /** Files handed to stageFiles, by staged id. */
  const staged = new Map<string, File>();
  let fileSettings: FileSettings = { uploadMode: 'parley', autoDownloadImagesUnder: 0, mediaRefSend: null };
  /** Watched folders by id, and folders staged (chosen or dropped) by staged id. */
  const folders = new Map<string, WatchedFolderView>();
  const stagedFolders = new Map<string, StagedFolder>();
  const saveFolders = new Map<string, string>();
  function stageFolder(path: string): StagedFolder {
    const folder = { id: `sf${stagedFolders.size + 1}`, name: path.split('/').pop() ?? path, path };
    stagedFolders.set(folder.id, folder);
    return folder;
  }
  function folder(id: string): WatchedFolderView {
    const found = folders.get(id);
    if (!found) throw new BridgeError('not_found', `no watched folder ${id}`);
    return found;
  }
  let update: UpdateState = { state: 'idle', checkedAt: null };
  const setUpdate = (next: UpdateState): UpdateState => {
    update = next;
    emit('update', update);
    return update;
  };
  const updatesOnly = () => {
    if (host !== 'electron') throw new BridgeError('unavailable', 'only an installed Parley desktop app updates itself; this one runs from its sources');
  };
  let desktopSettings: DesktopSettings = { closeToTray: true, startAtLogin: false, startMinimised: false, notifications: true, showMessagePreview: true };
  const host = options.host ?? 'browser';

  function transfer(type: FileTransfer['type'], file: MessageFile, messageId: string, patch: Partial<FileTransfer> = {}): FileTransfer {
    return {
      id: `t-${messageId}`,
      type,
      mode: type === 'upload' ? 'tus' : 'http',
      state: 'pending',
      path: null,
      url: file.url ?? null,
      name: file.name,
      mime: file.mime,
      bytes: 0,
      total: file.size,
      sha256: null,
      messageId,
      conversationId: 'c-bob',
      error: null,
      ...patch,
    };
  }

  /** A file message in c-bob (not stored: tests put it where they need it). */
  function fileMessage(seq: number, sender: Address, file: MessageFile, patch: Partial<Message> = {}): Message {
    return { ...text('c-bob', seq, sender, '', NOW), kind: 'file', file, ...patch };
  }

  function setSession(next: SessionState): SessionState {
    session = next;
    emit('session', session);
    return session;
  }

  function known(conversationId: string): ConversationSummary {
    const conversation = conversations.get(conversationId);
    if (!conversation) throw new BridgeError('not_found', `no conversation ${conversationId} on this device`);
    return conversation;
  }

  /** The conversation and the unread count, as the engine tells them after any change. */
  function emitConversation(conversationId: string): void {
    const conversation = known(conversationId);
    const total = [...conversations.values()].filter((c) => !c.muted).reduce((sum, c) => sum + c.unread, 0);
    emit('conversation', conversation);
    emit('unread', { conversationId, unread: conversation.unread, total });
  }

  /** Puts a numbered message at the end of its conversation's history. */
  function append(message: Message): void {
    const conversation = known(message.conversationId!);
    history.get(conversation.id)!.push(message);
    Object.assign(conversation, { lastMessage: message, lastSeq: message.seq!, haveSeq: message.seq!, lastActivity: Math.max(conversation.lastActivity, message.time) });
    if (message.mine) conversation.readSeq = message.seq!;
  }

  /** The server numbered a message I sent: it leaves the pending list for the history. */
  function markSent(id: string): void {
    const index = pending.findIndex((m) => m.id === id);
    if (index < 0) return;
    const message = pending.splice(index, 1)[0]!;
    const conversationId = message.conversationId!;
    const seq = known(conversationId).lastSeq + 1;
    append({ ...message, seq, status: 'sent' });
    emit('messageStatus', { id, conversationId, seq, status: 'sent' });
    emitConversation(conversationId);
  }

  /** Someone else's message arrives live: the message, then the conversation and unread count change. */
  function receive(conversationId: string, sender: Address, body: string): Message {
    const conversation = known(conversationId);
    const message = text(conversationId, conversation.lastSeq + 1, sender, body, NOW);
    append(message);
    if (!message.mine) conversation.unread++;
    emit('message', message);
    emitConversation(conversationId);
    return message;
  }

  /** A membership or title change by me, as the engine stores the server's answer: the event, then the conversation. */
  function change(conversationId: string, kind: 'members' | 'edit', body: object, apply: (c: ConversationSummary) => void): ConversationSummary {
    const conversation = known(conversationId);
    if (conversation.type === 'direct') throw new BridgeError('bad_request', 'a direct conversation has no title, admins or members to change');
    const mine = conversation.participants.find((p) => p.address === me());
    if (!mine) throw new BridgeError('not_member', `you are not a participant of conversation ${conversationId}`);
    if (mine.role !== 'admin' && !('removed' in body && JSON.stringify(body) === JSON.stringify({ added: [], removed: [me()] }))) {
      throw new BridgeError('forbidden', `only admins change a ${conversation.type}`);
    }
    apply(conversation);
    const seq = conversation.lastSeq + 1;
    append({ id: `${conversationId}#${seq}`, conversationId, seq, kind, sender: me(), mine: true, body: JSON.stringify(body), time: NOW, status: null });
    emitConversation(conversationId);
    return conversation;
  }

  function summaries(): ConversationSummary[] {
    return [...conversations.values()].sort((a, b) => b.lastActivity - a.lastActivity);
  }

  // Presence as the server tells it: bob online, carol away, dave seen an hour before NOW.
  const presence: Presence[] = [
    { address: 'bob', state: 'online', lastSeen: null },
    { address: 'carol', state: 'away', lastSeen: null },
    { address: 'dave', state: 'offline', lastSeen: NOW - 60 * MINUTE },
  ];
  let hideLastSeen = false;
  let avatar: string | null = null;
  let myName: string | null = null;
  const profile = (): Profile => ({ address: me(), name: myName ?? USERS.find((u) => u.address === me())!.name, avatar, hideLastSeen });

  const handlers: { [K in RequestName]: (arg: RequestArg<K>) => unknown } = {
    getAppInfo: () => ({ version: '0.0.0-test', platform: options.platform ?? 'linux', host }),
    getSession: () => session,
    signIn: ({ serverUrl, token }) => {
      if (token !== 'good-token') throw new BridgeError('auth_failed', 'the access token is not valid');
      return setSession({ state: 'signedIn', me: 'alice', serverUrl, demoUsers: DEMO_USERS, connection: { state: 'connecting', attempt: 1 } });
    },
    signInDemo: ({ address }) => {
      if (!DEMO_USERS.some((u) => u.address === address)) throw new BridgeError('not_found', `there is no demo user ${address}`);
      return setSession({ state: 'signedIn', me: address, serverUrl: session.serverUrl ?? '', demoUsers: DEMO_USERS, connection: { state: 'connecting', attempt: 1 } });
    },
    signOut: () => setSession({ state: 'signedOut', reason: null, serverUrl: session.serverUrl, demoUsers: DEMO_USERS }),
    listConversations: () => summaries(),
    createConversation: ({ type, participants: others, title }) => {
      const members = [...new Set([me(), ...others])].sort();
      // One direct conversation per pair of users, as the server keeps it.
      const direct = type === 'direct' ? [...conversations.values()].find((c) => c.type === 'direct' && c.participants.map((p) => p.address).sort().join() === members.join()) : undefined;
      const id = direct?.id ?? `c-new-${conversations.size}`;
      if (!direct) addConversation({ id, type, title: title ?? null, participants: participants(me(), ...others), lastActivity: NOW }, []);
      emitConversation(id);
      return conversations.get(id);
    },
    editConversation: ({ conversationId, title, description }) =>
      change(conversationId, 'edit', { title, description }, (c) => {
        if (title !== undefined) c.title = title;
        if (description) c.description = description;
        else if (description !== undefined) delete c.description;
      }),
    addMembers: ({ conversationId, members }) =>
      change(conversationId, 'members', { added: members, removed: [] }, (c) => {
        c.participants.push(...participants(...members).map((p) => ({ ...p, name: USERS.find((u) => u.address === p.address)?.name })));
      }),
    removeMembers: ({ conversationId, members }) =>
      change(conversationId, 'members', { added: [], removed: members }, (c) => {
        c.participants = c.participants.filter((p) => !members.includes(p.address));
      }),
    leaveConversation: ({ conversationId }) =>
      change(conversationId, 'members', { added: [], removed: [me()] }, (c) => {
        c.participants = c.participants.filter((p) => p.address !== me());
      }),
    setMemberRole: ({ conversationId, address, role }) =>
      change(conversationId, 'members', { added: [], removed: [], [role === 'admin' ? 'promoted' : 'demoted']: [address] }, (c) => {
        const member = c.participants.find((p) => p.address === address);
        if (member) member.role = role;
      }),
    readMessages: ({ conversationId, beforeSeq, afterSeq, aroundSeq, limit = 50 }) => {
      const all = history.get(conversationId) ?? [];
      const unsent = pending.filter((m) => m.conversationId === conversationId);
      if (afterSeq !== undefined || aroundSeq !== undefined) {
        const before = aroundSeq === undefined ? [] : all.filter((m) => m.seq! < aroundSeq);
        const older = before.slice(before.length - Math.min(before.length, Math.floor(limit / 2)));
        const after = all.filter((m) => m.seq! > (afterSeq ?? aroundSeq! - 1)).slice(0, limit - older.length);
        return after.length < limit - older.length ? [...older, ...after, ...unsent] : [...older, ...after];
      }
      const older = beforeSeq === undefined ? all : all.filter((m) => m.seq! < beforeSeq);
      const page = older.slice(Math.max(0, older.length - limit));
      return beforeSeq === undefined ? [...page, ...unsent] : page;
    },
    sendMessage: ({ conversationId, text: body, replyTo }) => {
      known(conversationId);
      const message: Message = { id: `${me()}:c${nextClientId++}`, conversationId, seq: null, kind: 'text', sender: me(), mine: true, body, time: NOW, status: 'sending' };
      const target = replyTo === undefined ? undefined : history.get(conversationId)?.find((m) => m.seq === replyTo);
      if (replyTo !== undefined) message.replyTo = { seq: replyTo, sender: target?.sender ?? '', text: target?.body.slice(0, 200) ?? '' };
      const mentions = mentionsIn(conversationId, body);
      if (mentions.length) message.mentions = mentions;
      pending.push(message);
      emit('messageStatus', { id: message.id, conversationId, seq: null, status: 'sending' });
      // As the engine: the list shows my message while it is being sent.
      Object.assign(known(conversationId), { lastMessage: message, lastActivity: Math.max(known(conversationId).lastActivity, message.time) });
      emitConversation(conversationId);
      if (options.autoSend) setTimeout(() => markSent(message.id));
      return message;
    },
    editMessage: ({ messageId, text: body }) => {
      const message = stored(messageId);
      if (!message.mine) throw new BridgeError('forbidden', 'only your own messages can be edited');
      if (message.deleted) throw new BridgeError('conflict', 'that message was deleted');
      return changed(Object.assign(message, { body, editedAt: NOW, mentions: mentionsIn(message.conversationId!, body) }));
    },
    deleteMessage: ({ messageId, forEveryone }) => {
      const message = stored(messageId);
      const conversationId = message.conversationId!;
      if (!forEveryone) {
        history.set(conversationId, history.get(conversationId)!.filter((m) => m.id !== messageId));
        emit('messagesRemoved', { conversationId, ids: [messageId] });
        return;
      }
      const conversation = known(conversationId);
      const admin = conversation.type !== 'direct' && conversation.participants.some((p) => p.address === me() && p.role === 'admin');
      if (!message.mine && !admin) throw new BridgeError('forbidden', 'only your own messages, or any as an admin of a group or channel, can be deleted for everyone');
      const { file: _file, reactions: _reactions, replyTo: _replyTo, mentions: _mentions, editedAt: _editedAt, ...rest } = message;
      const tombstone: Message = { ...rest, body: '', deleted: true };
      history.set(conversationId, history.get(conversationId)!.map((m) => (m.id === messageId ? tombstone : m)));
      changed(tombstone);
    },
    react: ({ messageId, emoji, on }) => {
      const message = stored(messageId);
      const reactions = (message.reactions ?? []).map((r) => ({ ...r, by: [...r.by] }));
      let reaction = reactions.find((r) => r.emoji === emoji);
      if (on && !reaction?.mine) {
        if (!reaction) reactions.push((reaction = { emoji, count: 0, mine: false, by: [] }));
        Object.assign(reaction, { count: reaction.count + 1, mine: true, by: [...reaction.by, me()] });
      } else if (!on && reaction?.mine) Object.assign(reaction, { count: reaction.count - 1, mine: false, by: reaction.by.filter((a) => a !== me()) });
      message.reactions = reactions.filter((r) => r.count > 0);
      return changed(message);
    },
    retryMessage: ({ id }) => {
      if (!pending.some((m) => m.id === id)) throw new BridgeError('not_found', `no failed message ${id}`);
      emit('messageStatus', { id, conversationId: null, seq: null, status: 'sending' });
    },
    markRead: ({ conversationId, seq }) => {
      const conversation = conversations.get(conversationId);
      if (!conversation || seq <= conversation.readSeq) return;
      conversation.readSeq = Math.min(seq, conversation.lastSeq);
      conversation.unread = (history.get(conversationId) ?? []).filter((m) => !m.mine && m.seq! > conversation.readSeq).length;
      emitConversation(conversationId);
    },
    setTyping: () => undefined,
    // The engine's search, in plain words: every word in the text (case folded), in:<id> narrowing, newest first.
    search: ({ query, limit = 20 }) => {
      const words = query.toLowerCase().split(/\s+/).filter((w) => w && !w.startsWith('in:'));
      const inId = /(?:^|\s)in:(\S+)/.exec(query)?.[1];
      const hits = [...history.values()]
        .flat()
        .filter((m) => words.length > 0 && (!inId || m.conversationId === inId) && words.every((w) => m.body.toLowerCase().includes(w)))
        .sort((a, b) => b.time - a.time || b.seq! - a.seq!)
        .slice(0, limit)
        .map((m) => {
          const lower = m.body.toLowerCase();
          const highlights = words.map((w): [number, number] => [lower.indexOf(w), lower.indexOf(w) + w.length]).sort((a, b) => a[0] - b[0]);
          return { conversationId: m.conversationId!, seq: m.seq!, messageId: m.id, sender: m.sender, time: m.time, kind: m.kind === 'file' ? 'file' : 'text', snippet: { text: m.body, highlights } };
        });
      return { hits, cursor: null, unknown: [], indexed: 0, total: 0 };
    },
    searchUsers: ({ query }) => USERS.filter((u) => `${u.address} ${u.name}`.toLowerCase().includes(query.toLowerCase())),
    sendFile: ({ conversationId, stagedId, message: body = '' }) => {
      const file = staged.get(stagedId);
      if (!file) throw new BridgeError('not_found', 'that file is no longer staged; attach it again');
      const id = `${me()}:c${nextClientId++}`;
      const info: MessageFile = { name: file.name, size: file.size, mime: file.type || 'application/octet-stream' };
      const message: Message = { id, conversationId, seq: null, kind: 'file', sender: me(), mine: true, body, time: NOW, status: 'sending', file: info, transfer: transfer('upload', info, id, { state: 'running' }) };
      pending.push(message);
      return message;
    },
    startFileTransfer: () => undefined,
    stopFileTransfer: ({ id }) => ({ id, state: 'stopped' }),
    downloadFile: ({ messageId }) => ({ id: `t-${messageId}`, state: 'pending' }),
    openFile: ({ messageId }) => ({ url: `/local/t-${messageId}` }),
    showFileInFolder: () => ({ opened: true }),
    saveFileAs: ({ messageId }) => ({ url: `/local/t-${messageId}?download=1` }),
    getFileSettings: () => fileSettings,
    setFileSettings: (settings) => (fileSettings = settings),
    chooseFolder: (arg) => {
      if (host === 'electron') return stageFolder('/home/alice/Picked');
      if (!arg?.path?.startsWith('/')) throw new BridgeError('bad_request', 'give the folder’s full path');
      return stageFolder(arg.path);
    },
    listWatchedFolders: () => [...folders.values()],
    watchFolder: ({ conversationId, folderId, options = {} }) => {
      const staged = stagedFolders.get(folderId);
      if (!staged) throw new BridgeError('not_found', 'that folder is no longer staged; choose it again');
      stagedFolders.delete(folderId);
      const id = `w${folders.size + 1}`;
      const view: WatchedFolderView = {
        id,
        path: staged.path,
        conversationId,
        options: { includeSubfolders: false, includeExisting: false, afterSend: 'move', resendChanged: false, ...options },
        status: { state: 'watching' },
        lastError: null,
        recent: [],
      };
      folders.set(id, view);
      return view;
    },
    updateWatchedFolder: ({ id, options }) => {
      const found = folder(id);
      found.options = { ...found.options, ...options };
      return found;
    },
    pauseWatchedFolder: ({ id }) => Object.assign(folder(id), { status: { state: 'paused' } }),
    resumeWatchedFolder: ({ id }) => Object.assign(folder(id), { status: { state: 'watching' } }),
    unwatchFolder: ({ id }) => void folders.delete(folder(id).id),
    getSaveFolder: ({ conversationId }) => saveFolders.get(conversationId) ?? null,
    setSaveFolder: ({ conversationId, folderId }) => {
      if (folderId === null) {
        saveFolders.delete(conversationId);
        return null;
      }
      const staged = stagedFolders.get(folderId);
      if (!staged) throw new BridgeError('not_found', 'that folder is no longer staged; choose it again');
      stagedFolders.delete(folderId);
      saveFolders.set(conversationId, staged.path);
      return staged.path;
    },
    setConversationMuted: ({ conversationId, muted }) => {
      const conversation = conversations.get(conversationId);
      if (!conversation) throw new BridgeError('not_found', `no conversation ${conversationId} on this device`);
      conversation.muted = muted;
      emitConversation(conversationId);
      return conversation;
    },
    getPresence: () => presence,
    setActivity: () => undefined,
    getProfile: () => profile(),
    setProfile: (change) => {
      if (change.name !== undefined) myName = change.name;
      if (change.hideLastSeen !== undefined) hideLastSeen = change.hideLastSeen;
      return profile();
    },
    setAvatar: ({ stagedId }) => {
      if (stagedId !== null && !staged.delete(stagedId)) throw new BridgeError('not_found', 'that file is no longer staged; choose it again');
      avatar = stagedId === null ? null : AVATAR;
      return profile();
    },
    getAvatars: () => (avatar ? { [me()]: avatar } : {}),
    getDesktopSettings: () => {
      if (host !== 'electron') throw new BridgeError('unavailable', 'desktop settings exist only in the Parley desktop app');
      return desktopSettings;
    },
    setDesktopSettings: (settings) => (desktopSettings = settings),
    // As main/electron/updates.ts, without the waiting: a test plays progress and the download's end with emit().
    getUpdateState: () => (updatesOnly(), update),
    checkForUpdate: () => (updatesOnly(), setUpdate(options.updateVersion ? { state: 'available', version: options.updateVersion } : { state: 'idle', checkedAt: Date.now() })),
    downloadUpdate: () => {
      updatesOnly();
      if (update.state !== 'available') throw new BridgeError('conflict', 'there is no update to download');
      return setUpdate({ state: 'downloading', version: update.version, percent: 0, transferred: 0, total: 0, bytesPerSecond: 0 });
    },
    installUpdate: () => {
      updatesOnly();
      if (update.state !== 'ready') throw new BridgeError('conflict', 'the update is not downloaded yet');
    },
  };

  /** As main/bridge/dispatch.ts: the name and the argument checked before any handler runs. */
  async function request(name: unknown, arg: unknown): Promise<BridgeReply<unknown>> {
    try {
      if (!isRequestName(name)) throw new BridgeError('unknown_event', `there is no request ${String(name)}`);
      calls.push({ name, arg });
      const parsed = requests[name].args.safeParse(arg);
      if (!parsed.success) {
        const error = invalidPayload(name, parsed.error);
        throw new BridgeError(error.code, error.message);
      }
      if (session.state !== 'signedIn' && !WITHOUT_SESSION.has(name)) throw new BridgeError('unauthorized', 'sign in first');
      return { ok: true, data: structuredClone(await (handlers[name] as (arg: unknown) => unknown)(parsed.data)) };
    } catch (error) {
      if (error instanceof BridgeError || error instanceof ParleyError) return { ok: false, error: { code: error.code, message: error.message } };
      throw error;
    }
  }

  const bridge: ParleyBridge = {
    request: request as ParleyBridge['request'],
    on: subscribe,
    stageFiles: async (files: File[]) => ({
      ok: true,
      data: files.map((file) => {
        const id = `s${staged.size + 1}`;
        staged.set(id, file);
        return { id, name: file.name, size: file.size };
      }),
    }),
    stageFolder: async (file: File) =>
      host === 'electron'
        ? { ok: true, data: stageFolder(`/home/alice/${file.name}`) }
        : { ok: false, error: { code: 'bad_request', message: 'dropping a folder works in the desktop app; here, add it by typing its path' } },
  };

  function subscribe<E extends EventName>(event: E, listener: (payload: BridgeEvents[E]) => void) {
    const set = listeners.get(event) ?? new Set();
    listeners.set(event, set);
    set.add(listener as (payload: never) => void);
    return () => void set.delete(listener as (payload: never) => void);
  }

  function emit<E extends EventName>(event: E, payload: BridgeEvents[E]): void {
    for (const listener of listeners.get(event) ?? []) (listener as (payload: BridgeEvents[E]) => void)(structuredClone(payload));
  }

  return {
    /** The host as the preload or the browser host's socket gives it to the renderer. */
    bridge,
    /** What the renderer's code calls (contract/api.ts's toApi over the bridge). */
    api: toApi(bridge) as ParleyApi,
    calls,
    conversations,
    history,
    /** The arguments of every call to one request, in order. */
    callsTo<K extends RequestName>(name: K): Array<RequestArg<K>> {
      return calls.filter((c) => c.name === name).map((c) => c.arg as RequestArg<K>);
    },
    /** Plays one of the host's events. */
    emit,
    /** Someone else's message arrives (the engine's message, conversation and unread events). */
    receive,
    /** The server acknowledges a message I sent (what autoSend does by itself). */
    markSent,
    listenerCount: (event: EventName) => listeners.get(event)?.size ?? 0,
    /** Replaces one request's behaviour (e.g. to make it fail). */
    override<K extends RequestName>(name: K, handler: (arg: RequestArg<K>) => unknown): void {
      (handlers as Record<RequestName, (arg: never) => unknown>)[name] = handler as (arg: never) => unknown;
    },
    text,
    fileMessage,
    transfer,
    staged,
    folders,
  };
}
