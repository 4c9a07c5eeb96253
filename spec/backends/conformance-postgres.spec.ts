import { describeConformance } from './conformance';
import { uniqueTarget } from './targets';
import { tempDir } from '../helpers';
import { testServers } from '../setup/servers';

// PostgreSQL 15 through pg (client and pool) and knex.
const dir = tempDir('safe-state-conformance-');
const url = () => testServers().postgresUrl;
describeConformance('SqlBackend postgres (pg Client)', () => uniqueTarget('pg-client', { dir, url: url() }));
describeConformance('SqlBackend postgres (pg Pool)', () => uniqueTarget('pg-pool', { dir, url: url() }));
describeConformance('SqlBackend postgres (knex pg)', () => uniqueTarget('knex-pg', { dir, url: url() }));
