/**
 * What a failed run freezes of the job instance: no field whose name marks a secret (at any depth
 * of plain data) unless the job opts in with the `frozen` option, everything under encryption.
 * Checked on the bytes of the real checkpoint file, not only through peekCheckpoint().
 */
import * as fs from 'node:fs';
import { SafeState, safeState, MemoryBackend, InvalidOptionsError, type SafeStateOptions } from '../../lib/index';
import { isSecretName, nameParts } from '../../lib/util/secret-name';
import { tempDir } from '../helpers';

const SECRETS = {
  apiKey: 'sk_live_APIKEY_0001',
  dbPassword: 'pw_DBPASSWORD_0002',
  token: 'tok_TOKEN_0003',
  nested: 'sec_NESTED_0004',
  mapped: 'sec_MAPKEY_0005',
  url: 'urlpw_0006',
  listed: 'tok_LISTED_0007',
};

/** A job whose instance holds secrets at the top, one level down, in a Map, in an array and in a URL, beside ordinary fields. */
class Importer {
  apiKey = SECRETS.apiKey;
  dbPassword = SECRETS.dbPassword;
  token = SECRETS.token;
  config = { region: 'eu-west-1', secret: SECRETS.nested, retries: 3 };
  headers = new Map<string, string>([['accept', 'text/csv'], ['x-auth-token', SECRETS.mapped]]);
  accounts = [{ user: 'ana', password: SECRETS.nested }];
  databaseUrl = `postgres://app:${SECRETS.url}@db.internal:5432/orders`;
  keys = ['k-ordinary-1', 'k-ordinary-2'];
  monkey = 'ordinary-banana';
  author = 'ordinary-author';
  cursor = 41;

  async run(rows: number[]) {
    for (const row of rows) {
      if (row === 2) throw new Error('boom at 2');
      this.cursor = row;
    }
  }
}

async function failOnce(options: SafeStateOptions): Promise<{ bytes: string; frozen: unknown }> {
  const dir = tempDir();
  const job = safeState(Importer.prototype.run, { name: 'importer', stateDir: dir, ...options });
  const instance = new Importer();
  await expect(job.call(instance, [0, 1, 2, 3])).rejects.toThrow('boom at 2');
  const bytes = fs.readFileSync(job.checkpointPath!, 'utf8');
  const frozen = (await job.peekCheckpoint())!.frozenState;
  fs.rmSync(dir, { recursive: true, force: true });
  return { bytes, frozen };
}

const ORDINARY = ['k-ordinary-1', 'ordinary-banana', 'ordinary-author', 'eu-west-1', 'text/csv', 'db.internal'];

describe('frozen state of a failed run', () => {
  it('by default keeps no secret in the checkpoint file: secret-marking names at every depth and URL passwords are left out; ordinary fields stay', async () => {
    const { bytes, frozen } = await failOnce({});
    for (const s of Object.values(SECRETS)) expect({ secret: s, inFile: bytes.includes(s) }).toEqual({ secret: s, inFile: false });
    for (const o of ORDINARY) expect({ ordinary: o, inFile: bytes.includes(o) }).toEqual({ ordinary: o, inFile: true });
    expect(frozen).toEqual({
      config: { region: 'eu-west-1', retries: 3 },
      headers: new Map([['accept', 'text/csv']]),
      accounts: [{ user: 'ana' }],
      databaseUrl: 'postgres://app:***@db.internal:5432/orders',
      keys: ['k-ordinary-1', 'k-ordinary-2'],
      monkey: 'ordinary-banana',
      author: 'ordinary-author',
      cursor: 1,
    });
  });

  it('frozen: true keeps every field as it is (the old behaviour)', async () => {
    const { bytes, frozen } = await failOnce({ frozen: true });
    for (const s of Object.values(SECRETS).filter((s) => s !== SECRETS.listed)) expect(bytes).toContain(s);
    expect(frozen).toMatchObject({ apiKey: SECRETS.apiKey, config: { secret: SECRETS.nested }, databaseUrl: expect.stringContaining(SECRETS.url) });
  });

  it('frozen: false keeps nothing', async () => {
    const { bytes, frozen } = await failOnce({ frozen: false });
    expect(frozen).toBeUndefined();
    for (const o of ['ordinary-banana', ...Object.values(SECRETS)]) expect(bytes).not.toContain(o);
  });

  it('a list keeps exactly those fields; a named secret is kept (opted in), secrets inside the named values are not', async () => {
    const { bytes, frozen } = await failOnce({ frozen: ['cursor', 'token', 'config', 'missing'] });
    expect(frozen).toEqual({ cursor: 1, token: SECRETS.token, config: { region: 'eu-west-1', retries: 3 } });
    expect(bytes).toContain(SECRETS.token);
    for (const s of [SECRETS.apiKey, SECRETS.dbPassword, SECRETS.nested, 'ordinary-banana']) expect(bytes).not.toContain(s);
  });

  it('a function chooses: the object it returns is frozen as it is', async () => {
    const { bytes, frozen } = await failOnce({ frozen: (self: Importer) => ({ cursor: self.cursor, secretOptIn: self.config.secret }) });
    expect(frozen).toEqual({ cursor: 1, secretOptIn: SECRETS.nested });
    expect(bytes).toContain(SECRETS.nested);
    expect(bytes).not.toContain(SECRETS.apiKey);
  });

  it('a function also serves safeState(fn) without an instance; one that throws freezes nothing and the job error is unchanged', async () => {
    const backend = new MemoryBackend();
    let cursor = 0;
    const plain = safeState(async (xs: number[]) => {
      for (const x of xs) {
        if (x === 3) throw new Error('plain boom');
        cursor = x;
      }
    }, { name: 'plain', backend, frozen: () => ({ cursor }) });
    await expect(plain([0, 1, 2, 3])).rejects.toThrow('plain boom');
    expect((await plain.peekCheckpoint())!.frozenState).toEqual({ cursor: 2 });

    const throwing = safeState(async (xs: number[]) => {
      for (const x of xs) if (x === 1) throw new Error('original');
    }, { name: 'throwing', backend, frozen: () => { throw new Error('frozen fn failed'); } });
    await expect(throwing([0, 1])).rejects.toThrow('original');
    const cp = (await throwing.peekCheckpoint())!;
    expect(cp.frozenState).toBeUndefined();
    expect(cp.lastFailure?.message).toBe('original');
  });

  it('with encrypt on, the default keeps every field: the file holds none of them in clear, peekCheckpoint() reads them back', async () => {
    const { bytes, frozen } = await failOnce({ secret: 'a-long-enough-secret-0123456789', encrypt: true });
    for (const s of [...Object.values(SECRETS), 'ordinary-banana']) expect(bytes).not.toContain(s);
    expect(frozen).toMatchObject({ apiKey: SECRETS.apiKey, dbPassword: SECRETS.dbPassword, config: { secret: SECRETS.nested }, monkey: 'ordinary-banana' });
  });

  it('signed without encryption, the default still leaves secrets out', async () => {
    const { bytes } = await failOnce({ secret: 'a-long-enough-secret-0123456789' });
    for (const s of Object.values(SECRETS)) expect(bytes).not.toContain(s);
    expect(bytes).toContain('ordinary-banana');
  });

  it('works the same on a decorated method, and keeps shared references and cycles in the copies', async () => {
    const backend = new MemoryBackend();
    const shared: Record<string, unknown> = { region: 'eu', password: 'pw' };
    shared.self = shared;
    class Job {
      a = shared;
      b = shared;
      @SafeState({ name: 'decorated', backend })
      async run(xs: number[]) {
        for (const x of xs) if (x === 1) throw new Error('x');
      }
    }
    await expect(new Job().run([0, 1])).rejects.toThrow('x');
    const frozen = (await SafeState.of(new Job(), 'run').peekCheckpoint())!.frozenState as { a: Record<string, unknown>; b: unknown };
    expect(frozen.a).toBe(frozen.b);
    expect(frozen.a.self).toBe(frozen.a);
    expect(Object.keys(frozen.a)).toEqual(['region', 'self']);
  });

  it.each([
    ['yes'],
    [1],
    [null],
    [['cursor', 3]],
    [['']],
    [{ cursor: true }],
  ])('frozen: %j is refused with InvalidOptionsError naming frozen', (frozen) => {
    let error: unknown;
    try {
      safeState(async (xs: number[]) => void xs, { name: 'bad', frozen } as unknown as SafeStateOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error).toMatchObject({ option: 'frozen' });
    expect((error as Error).message).toMatch(/^frozen: /);
  });
});

describe('the secret name rule', () => {
  it('splits names into word parts (camelCase, snake_case, kebab-case, acronyms, digits)', () => {
    expect(nameParts('apiKey')).toEqual(['api', 'key']);
    expect(nameParts('DB_PASSWORD')).toEqual(['db', 'password']);
    expect(nameParts('x-auth-token')).toEqual(['x', 'auth', 'token']);
    expect(nameParts('APIKey')).toEqual(['api', 'key']);
    expect(nameParts('OAuthToken')).toEqual(['o', 'auth', 'token']);
    expect(nameParts('password2')).toEqual(['password', '2']);
    expect(nameParts('aws.secret$access')).toEqual(['aws', 'secret', 'access']);
  });

  it.each([
    'apiKey', 'api_key', 'API_KEY', 'APIKey', 'apikey', 'x-api-key', 'apiKeys', 'accessKey', 'accessKeyId', 'AWS_ACCESS_KEY_ID',
    'privateKey', 'private_key_pem', 'secretKey', 'signingKey', 'masterKey', 'sshKey', 'hmacKey', 'encryptionKey', 'licenseKey', 'privatekeys',
    'token', 'tokens', 'authToken', 'x-auth-token', 'accessToken', 'refresh_token', 'csrftoken', 'maxTokens', 'tokenCount',
    'secret', 'secrets', 'clientSecret', 'client_secret', 'clientsecret',
    'password', 'dbPassword', 'DB_PASSWORD', 'dbpassword', 'password2', 'passwordHash', 'passwd', 'pwd', 'dbPwd', 'passphrase',
    'auth', 'basicAuth', 'oauth', 'OAuth', 'authorization', 'Proxy-Authorization',
    'credential', 'credentials', 'awsCredentials', 'creds',
    'cookie', 'cookies', 'sessionCookie', 'setCookie', 'cookieJar',
    'sessionId', 'session_id', 'sessionid', 'sessionKey',
  ])('%s marks a secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each([
    'keys', 'key', 'monkey', 'donkey', 'turkey', 'keyboard', 'primaryKey', 'cacheKey', 'sortKey', 's3Key', 'keyCount', 'idempotencyKey',
    'author', 'authorId', 'authority', 'authored', 'tokenizer', 'tokenize', 'secretary', 'secretariat', 'passport', 'passage',
    'credit', 'credits', 'cursor', 'pages', 'session', 'sessionCount', 'api', 'apiUrl', 'access', 'accessCount', 'private', 'region', 'id', 'userId',
  ])('%s is an ordinary name', (name) => {
    expect(isSecretName(name)).toBe(false);
  });
});
