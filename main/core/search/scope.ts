// The filters a message can be found by, as tokens of the index's scope column: hex keeps any
// conversation id or address one unicode61 token, and the letter before it keeps the kinds apart.
const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

export const scope = {
  conversation: (id: string) => `c${hex(id)}`,
  sender: (address: string) => `f${hex(address)}`,
  /** Addresses are matched case-insensitively in a mention. */
  mention: (address: string) => `m${hex(address.toLowerCase())}`,
  file: 'hasfile',
  link: 'haslink',
};

const LINK = /\b(?:https?:\/\/|www\.|mailto:)\S/i;
const MENTION = /(?:^|[^\w@])@([A-Za-z0-9][A-Za-z0-9+._@-]{0,63})/g;

/** The scope tokens of one message. */
export function scopeOf(conversationToken: string, sender: string, body: string, hasFile: boolean): string {
  const tokens = [conversationToken, scope.sender(sender)];
  if (hasFile) tokens.push(scope.file);
  if (LINK.test(body)) tokens.push(scope.link);
  for (const m of body.matchAll(MENTION)) tokens.push(scope.mention(m[1]!.replace(/[._-]+$/, '')));
  return tokens.join(' ');
}
