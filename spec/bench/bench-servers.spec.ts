import { skipReason } from '../../bench/bench-servers';

/** The reason a benchmark row gives when its server cannot be started (bench/bench-servers.ts). */
describe('benchmark servers: skip reasons', () => {
  it('names the missing binary, and its package when that differs', () => {
    expect(skipReason(new Error('redis-server not found: install redis-server (apt-get install -y redis-server); .ci/run does this'))).toBe('redis-server not installed');
    expect(skipReason(new Error('initdb not found: install postgresql (apt-get install -y postgresql); .ci/run does this'))).toBe('initdb not installed (package postgresql)');
  });

  it('passes any other failure on', () => {
    expect(skipReason(new Error('mariadb did not start within 30000 ms\nmore'))).toBe('could not start: mariadb did not start within 30000 ms');
  });
});
