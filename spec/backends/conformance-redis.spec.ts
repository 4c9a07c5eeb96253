import { describeConformance } from './conformance';
import { uniqueTarget } from './targets';
import { tempDir } from '../helpers';
import { testServers } from '../setup/servers';

const dir = tempDir('safe-state-conformance-');
describeConformance('RedisBackend.fromUrl', () => uniqueTarget('redis-url', { dir, url: testServers().redisUrl }));
describeConformance('RedisBackend (a user ioredis client)', () => uniqueTarget('redis-client', { dir, url: testServers().redisUrl }));
