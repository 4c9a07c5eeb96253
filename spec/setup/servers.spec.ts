import * as net from 'node:net';
import { portOf, testServers } from './servers';

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

describe('test servers', () => {
  it('runs Redis, MariaDB and PostgreSQL on loopback for the suite', async () => {
    const s = testServers();
    for (const url of [s.redisUrl, s.mysqlUrl, s.postgresUrl]) {
      expect(new URL(url).hostname).toBe('127.0.0.1');
      expect(await ping(portOf(url))).toBe(true);
    }
  });
});
