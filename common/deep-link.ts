// parley:// links, read by the Electron host (the OS hands it links; the window asks to open them)
// and by the renderer (links in messages). One form: parley://conversation/<conversation id>, with
// /<seq> after it for a message in it.
export const DEEP_LINK_SCHEME = 'parley';

/** A conversation to show, and the message in it to show (by seq) when there is one. */
export interface ConversationTarget {
  conversationId: string;
  seq?: number;
}

export const conversationLink = (conversationId: string, seq?: number): string =>
  `${DEEP_LINK_SCHEME}://conversation/${encodeURIComponent(conversationId)}${seq === undefined ? '' : `/${seq}`}`;

/**
 * The conversation (and message) a link names, or null for anything else: another scheme or host, a
 * user, port, query, fragment, a seq that is not a positive integer or a longer path. The id is
 * checked for its form by whoever uses it.
 */
export function parseConversationLink(url: string): ConversationTarget | null {
  if (url.length > 512 || !URL.canParse(url)) return null;
  const link = new URL(url);
  if (link.protocol !== `${DEEP_LINK_SCHEME}:` || link.hostname !== 'conversation') return null;
  if (link.username || link.password || link.port || link.search || link.hash) return null;
  const match = /^\/([^/]+)(?:\/([1-9]\d{0,14}))?\/?$/.exec(link.pathname);
  if (!match) return null;
  try {
    const conversationId = decodeURIComponent(match[1]!);
    return match[2] === undefined ? { conversationId } : { conversationId, seq: Number(match[2]) };
  } catch {
    return null; // a malformed %-escape
  }
}
