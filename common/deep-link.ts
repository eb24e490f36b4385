// parley:// links, read by the Electron host (the OS hands it links; the window asks to open them)
// and by the renderer (links in messages). One form: parley://conversation/<conversation id>.
export const DEEP_LINK_SCHEME = 'parley';

export const conversationLink = (conversationId: string): string => `${DEEP_LINK_SCHEME}://conversation/${encodeURIComponent(conversationId)}`;

/**
 * The conversation id a link names, or null for anything else: another scheme or host, a user,
 * port, query, fragment or a longer path. The id is checked for its form by whoever uses it.
 */
export function parseConversationLink(url: string): string | null {
  if (url.length > 512 || !URL.canParse(url)) return null;
  const link = new URL(url);
  if (link.protocol !== `${DEEP_LINK_SCHEME}:` || link.hostname !== 'conversation') return null;
  if (link.username || link.password || link.port || link.search || link.hash) return null;
  const match = /^\/([^/]+)\/?$/.exec(link.pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return null; // a malformed %-escape
  }
}
