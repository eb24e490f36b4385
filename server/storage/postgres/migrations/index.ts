// The PostgreSQL database's migrations in order, one a file; position + 1 is the version each leads
// to (recorded in parley_migrations). Append only: add the next file and list it here.
import { migration as m001 } from './001-initial.js';
import { migration as m002 } from './002-message-actions.js';

export const migrations: readonly string[] = [m001, m002];
