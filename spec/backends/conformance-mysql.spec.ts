import { describeConformance } from './conformance';
import { uniqueTarget } from './targets';
import { tempDir } from '../helpers';
import { testServers } from '../setup/servers';

// MariaDB 10.11 through mysql2 (callback and promise APIs, connection and pool) and knex.
const dir = tempDir('safe-state-conformance-');
const url = () => testServers().mysqlUrl;
describeConformance('SqlBackend mysql (mysql2 connection)', () => uniqueTarget('mysql-conn', { dir, url: url() }));
describeConformance('SqlBackend mysql (mysql2 pool)', () => uniqueTarget('mysql-pool', { dir, url: url() }));
describeConformance('SqlBackend mysql (mysql2/promise connection)', () => uniqueTarget('mysql-promise-conn', { dir, url: url() }));
describeConformance('SqlBackend mysql (mysql2/promise pool)', () => uniqueTarget('mysql-promise-pool', { dir, url: url() }));
describeConformance('SqlBackend mysql (knex mysql2)', () => uniqueTarget('knex-mysql', { dir, url: url() }));
