/**
 * `safe-state show` (text and --json), in process through runCli(argv, io): values under
 * secret-marking names in the frozen fields, the saved state and the stored results are masked at
 * every depth, URL passwords too, even when the job opted in to storing them.
 */
import * as fs from 'node:fs';
import { safeState, checkpoint, record } from '../../lib/index';
import { runCli } from '../../lib/cli/run-cli';
import { tempDir } from '../helpers';

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, now: () => new Date() });
  return { code, stdout, stderr };
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('safe-state show never prints a secret', () => {
  it('masks values under secret-marking names in frozen fields (opted in), saved state and results, at every depth; --json too', async () => {
    const dir = tempDir('safe-state-mask-');
    dirs.push(dir);
    const secrets = ['sk_live_FIELD_1', 'pw_NESTED_2', 'tok_STATE_3', 'ck_MAP_4', 'pw_RESULT_5', 'urlpw_6'];
    class Sync {
      apiKey = secrets[0];
      config = { region: 'eu', dbPassword: secrets[1] };
      cursor = 0;
      async run(xs: number[]) {
        for (const x of xs) {
          if (x === 2) throw new Error('boom');
          this.cursor = x;
          record({ row: x, credentials: { password: secrets[4] } });
          await checkpoint({ page: x, authToken: secrets[2], headers: new Map([['sessionCookie', secrets[3]], ['accept', 'csv']]), dsn: `mysql://u:${secrets[5]}@db/x` });
        }
      }
    }
    const job = safeState(Sync.prototype.run, { name: 'sync', stateDir: dir, frozen: true, storeResults: true });
    await expect(job.call(new Sync(), [0, 1, 2])).rejects.toThrow('boom');
    const stored = fs.readFileSync(job.checkpointPath!, 'utf8');
    expect(stored).toContain(secrets[0]); // frozen: true opted in: the file has it, the output must not

    const text = await run(['show', 'sync', '--dir', dir]);
    expect(text.code).toBe(0);
    for (const s of secrets) expect(text.stdout).not.toContain(s);
    expect(text.stdout).toMatch(/\nfields {8}\{\n?.*apiKey: \[redacted\]/s);
    expect(text.stdout).toContain("config: { region: 'eu', dbPassword: [redacted] }");
    expect(text.stdout).toContain('authToken: [redacted]');
    expect(text.stdout).toContain("'sessionCookie' => [redacted]");
    expect(text.stdout).toContain("'accept' => 'csv'");
    expect(text.stdout).toContain('mysql://u:***@db/x');

    const json = await run(['show', 'sync', '--dir', dir, '--json']);
    expect(json.code).toBe(0);
    for (const s of secrets) expect(json.stdout).not.toContain(s);
    const j = JSON.parse(json.stdout);
    expect(j.frozenState).toEqual({ apiKey: { $redacted: true }, config: { region: 'eu', dbPassword: { $redacted: true } }, cursor: 1 });
    expect(j.state).toMatchObject({ page: 1, authToken: { $redacted: true }, headers: { $map: [['sessionCookie', { $redacted: true }], ['accept', 'csv']] }, dsn: 'mysql://u:***@db/x' });
    expect(j.results[0]).toEqual({ key: 0, value: { row: 0, credentials: { $redacted: true } } });
  });
});
