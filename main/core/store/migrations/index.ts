// The client store's migrations in order, one a file; position + 1 is the user_version each leads to.
// Append only: add the next file and list it here.
import { migration as m001 } from './001-initial.js';
import { migration as m002 } from './002-files.js';
import { migration as m003 } from './003-media-ref-send.js';
import { migration as m004 } from './004-watched-folders.js';
import { migration as m005 } from './005-conversation-prefs.js';
import { migration as m006 } from './006-save-folders.js';
import { migration as m007 } from './007-description.js';
import { migration as m008 } from './008-search.js';
import { migration as m009 } from './009-message-actions.js';

export const migrations: readonly string[] = [m001, m002, m003, m004, m005, m006, m007, m008, m009];
