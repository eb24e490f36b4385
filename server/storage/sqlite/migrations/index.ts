// The server database's migrations in order, one a file; position + 1 is the user_version each leads to.
// Append only: add the next file and list it here.
import { migration as m001 } from './001-initial.js';
import { migration as m002 } from './002-files.js';
import { migration as m003 } from './003-idempotency-per-conversation.js';
import { migration as m004 } from './004-user-limits.js';
import { migration as m005 } from './005-idempotency-by-client-id.js';
import { migration as m006 } from './006-groups.js';
import { migration as m007 } from './007-profile-presence.js';
import { migration as m008 } from './008-message-actions.js';

export const migrations: readonly string[] = [m001, m002, m003, m004, m005, m006, m007, m008];
