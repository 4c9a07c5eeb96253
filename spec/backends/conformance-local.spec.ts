import { describeConformance } from './conformance';
import { uniqueTarget } from './targets';
import { tempDir } from '../helpers';

// Backends that need no server: Memory, File, a third-party subclass with only the four methods,
// SQLite through better-sqlite3 and through knex.
const dir = tempDir('safe-state-conformance-');
describeConformance('MemoryBackend', () => uniqueTarget('memory', { dir }));
describeConformance('FileBackend', () => uniqueTarget('file', { dir }));
describeConformance('custom subclass (four methods only)', () => uniqueTarget('custom', { dir }));
describeConformance('SqlBackend sqlite (better-sqlite3)', () => uniqueTarget('sqlite', { dir }));
describeConformance('SqlBackend sqlite (knex)', () => uniqueTarget('knex-sqlite', { dir }));
