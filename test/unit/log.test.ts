// Logs: JSON lines on stdout; secrets never written (fields named like secrets, headers, link material in any string);
// one access-log line per request; the request id in every line of a request, echoed in X-Request-Id and recorded
// as the correlationId of the events the request caused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import express from 'express';
import { createLogger, redact, redactText, REDACTED } from '../../src/log.js';
import { accessLog, requestId, requestLogger } from '../../src/http/access-log.js';
import { useService } from '../support/service.js';
import { isUserStream } from '../../src/events/user.events.js';

const PASSWORD = 'Hunter2-very-secret-pw';
const TOKEN_KEY = '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b';
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiNDIifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';
const LINK_TOKEN = 'cd4q1n-0d8e9c51e4a4b5d1c8a30f4e1c2b3a4d5e6f708192a3b4c5d6e7f8091a2b3c4';
const LINK = `https://app.example.com/#/activate/MDBhYjEyMzQtNTY3OC05YWJj/${LINK_TOKEN}`;
const SECRETS = [PASSWORD, TOKEN_KEY, JWT, LINK_TOKEN, 'MDBhYjEyMzQtNTY3OC05YWJj', 'csrf-value-1234', 'sessionid=abc123'];

function capture() {
  const lines: string[] = [];
  const log = createLogger('debug', { write: (line) => void lines.push(line) });
  return { log, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

function assertNoSecret(text: string) {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${secret} leaked into:\n${text}`);
}

describe('log records', () => {
  it('are one JSON object per line, with level names, time and message', () => {
    const { log, lines, records } = capture();
    log.info('authstream listening on http://127.0.0.1:8000', { roles: ['http'] });
    log.debug('detail', { n: 1 });
    assert.equal(lines.length, 2);
    assert.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
    const [first] = records();
    assert.equal(first!.level, 'info');
    assert.equal(first!.msg, 'authstream listening on http://127.0.0.1:8000', 'a URL without a path is kept');
    assert.deepEqual(first!.roles, ['http']);
    assert.match(String(first!.time), /^\d{4}-\d\d-\d\dT/);
  });

  it('of flat fields (written without pino) read as pino writes them, child bindings, masks and cuts included', () => {
    const { log, lines, records } = capture();
    const fields = {
      method: 'GET',
      status: 200,
      ms: 1.5,
      ok: true,
      none: null,
      gone: undefined,
      password: PASSWORD,
      note: `Bearer ${JWT}`,
    };
    const child = log.child({ role: 'api' });
    child.info(`said ${JWT}`, fields); // flat: the fast path
    child.info(`said ${JWT}`, { ...fields, nested: { n: 1 } }); // not flat: pino's path
    const [flat, viaPino] = records();
    assert.deepEqual(viaPino!.nested, { n: 1 });
    delete viaPino!.nested;
    delete flat!.time;
    delete viaPino!.time;
    assert.deepEqual(flat, viaPino);
    assert.equal(flat!.role, 'api');
    assert.equal(flat!.password, REDACTED);
    assert.equal(flat!.note, `Bearer ${REDACTED}`);
    assert.equal(flat!.msg, `said ${REDACTED}`);
    assert.ok(!('gone' in flat!));
    assert.deepEqual(Object.keys(JSON.parse(lines[0]!) as object).slice(0, 5), ['level', 'time', 'pid', 'hostname', 'role']);
    assertNoSecret(lines.join(''));
  });

  it('below LOG_LEVEL are not written', () => {
    const lines: string[] = [];
    const log = createLogger('warn', { write: (line) => void lines.push(line) });
    log.info('quiet');
    log.warn('loud');
    assert.equal(lines.length, 1);
  });

  it('mask fields named like secrets, at any depth', () => {
    const masked = redact({
      password: PASSWORD,
      new_password: PASSWORD,
      current_password: PASSWORD,
      re_password: PASSWORD,
      re_new_password: PASSWORD,
      token: TOKEN_KEY,
      auth_token: TOKEN_KEY,
      refresh: JWT,
      access: JWT,
      key: TOKEN_KEY,
      uid: 'MDBhYjEyMzQtNTY3OC05YWJj',
      link: LINK,
      passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$abc',
      headers: { authorization: `Token ${TOKEN_KEY}`, cookie: 'sessionid=abc123', 'x-csrftoken': 'csrf-value-1234' },
      nested: [{ client_secret: 'x' }],
      username: 'alice',
      routing: 'user.registered',
    }) as Record<string, unknown>;
    assertNoSecret(JSON.stringify(masked));
    assert.equal(masked.password, REDACTED);
    assert.equal(masked.username, 'alice');
    assert.equal(masked.routing, 'user.registered');
    assert.deepEqual(masked.headers, { authorization: REDACTED, cookie: REDACTED, 'x-csrftoken': REDACTED });
  });

  it('cut cycles short, deep nesting too, and print an object shared by two fields twice', () => {
    const shared = { name: 'alice', token: TOKEN_KEY };
    const looped: Record<string, unknown> = { id: 1, shared, again: shared };
    looped.self = looped;
    let deep: Record<string, unknown> = { bottom: true };
    for (let i = 0; i < 12; i++) deep = { down: deep };
    assert.deepEqual(redact(looped), {
      id: 1,
      shared: { name: 'alice', token: REDACTED },
      again: { name: 'alice', token: REDACTED },
      self: '[…]',
    });
    let level = redact(deep) as Record<string, unknown>;
    for (let i = 0; i < 9; i++) level = level.down as Record<string, unknown>;
    assert.equal(level, '[…]');
  });

  it('cut link material, URL passwords, JWTs and credentials out of every string, the message included', () => {
    assert.equal(redactText(`see ${LINK} now`), `see https://app.example.com/${REDACTED} now`);
    assert.equal(redactText('http://localhost:8000/#/password/reset/confirm/MQ/abc'), `http://localhost:8000/${REDACTED}`);
    assert.equal(redactText('https://x.example/confirm?uid=MQ&token=abc'), `https://x.example/${REDACTED}`);
    assert.equal(redactText('mongodb://app:s3cret@db:27017'), `mongodb://app:${REDACTED}@db:27017`);
    assert.equal(redactText('esdb://127.0.0.1:2113?tls=false'), 'esdb://127.0.0.1:2113?tls=false');
    assert.equal(redactText(`Authorization: Bearer ${JWT}`), `Authorization: Bearer ${REDACTED}`);
    assert.equal(redactText(`header Token ${TOKEN_KEY}`), `header Token ${REDACTED}`);
    assert.equal(redactText(`key ${TOKEN_KEY}`), `key ${REDACTED}`);

    const { log, lines } = capture();
    log.warn(`email link ${LINK}`, { note: `the user got ${LINK}`, error: new Error(`failed for ${LINK} with Bearer ${JWT}`) });
    assertNoSecret(lines.join(''));
  });

  it('go to stdout, nothing to stderr', async () => {
    const code = `import('./src/log.ts').then(({ createLogger }) => createLogger('info').info('to stdout', { password: 'x' }))`;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', code], { cwd: process.cwd() });
    assert.equal(stderr, '');
    const record = JSON.parse(stdout) as Record<string, unknown>;
    assert.equal(record.msg, 'to stdout');
    assert.equal(record.password, REDACTED);
  });
});

describe('the access log', () => {
  async function serve(app: express.Express) {
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  function app() {
    const { log, lines, records } = capture();
    const a = express();
    a.use(accessLog(log));
    a.post('/auth/things/:id/', express.json(), async (req, res) => {
      await new Promise((r) => setTimeout(r, 5)); // the id survives awaits
      // A careless handler: logs the whole request (headers, body) and the link in its message.
      requestLogger(log, req).info(`handling ${String(req.body.link)}`, { headers: req.headers, body: req.body });
      res.status(201).json({ requestId: requestId(req) });
    });
    return { app: a, lines, records };
  }

  it('writes one line per request that names the route template and carries no secret of the request', async () => {
    const { app: a, lines, records } = app();
    const server = await serve(a);
    try {
      const res = await fetch(`${server.url}/auth/things/42/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Token ${TOKEN_KEY}`,
          cookie: 'sessionid=abc123',
          'x-csrftoken': 'csrf-value-1234',
          'x-request-id': 'client-req-1',
        },
        body: JSON.stringify({ password: PASSWORD, re_password: PASSWORD, token: LINK_TOKEN, link: LINK, username: 'alice' }),
      });
      assert.equal(res.status, 201);
      await new Promise((r) => setTimeout(r, 20)); // the access line is written when the response has gone
      assertNoSecret(lines.join(''));
      const access = records().filter((r) => r.msg === 'request');
      assert.equal(access.length, 1);
      assert.equal(access[0]!.method, 'POST');
      assert.equal(access[0]!.route, '/auth/things/:id/');
      assert.equal(access[0]!.status, 201);
      assert.equal(typeof access[0]!.ms, 'number');
      const handling = records().find((r) => String(r.msg).startsWith('handling'))!;
      assert.equal((handling.body as Record<string, unknown>).username, 'alice', 'public fields stay');
    } finally {
      await server.close();
    }
  });

  it('carries the request id into the lines logged about the request, echoes it, and replaces one that is not sane', async () => {
    const { app: a, records } = app();
    const server = await serve(a);
    try {
      const post = (headers: Record<string, string>) =>
        fetch(`${server.url}/auth/things/1/`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
      const sent = await post({ 'x-request-id': 'client-req-2' });
      assert.equal(sent.headers.get('x-request-id'), 'client-req-2');
      assert.equal(((await sent.json()) as { requestId: string }).requestId, 'client-req-2', 'requestId(req) is the same id');
      const insane = await post({ 'x-request-id': 'has spaces and ünïcode' });
      const generated = insane.headers.get('x-request-id')!;
      assert.match(generated, /^[0-9a-f-]{36}$/);
      const none = await post({});
      assert.match(none.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
      assert.notEqual(none.headers.get('x-request-id'), generated);
      await new Promise((r) => setTimeout(r, 20));
      const ofFirst = records().filter((r) => r.requestId === 'client-req-2');
      assert.deepEqual(ofFirst.map((r) => r.msg).sort(), ['handling undefined', 'request']);
      assert.equal(records().filter((r) => r.requestId === generated).length, 2);
    } finally {
      await server.close();
    }
  });
});

describe("the service's log", () => {
  const { log, lines, records } = capture();
  // No SMTP server: activation emails are written as .eml files, the embedded default.
  const svc = useService({ SEND_ACTIVATION_EMAIL: 'true', SMTP_URL: '' }, { log });

  it('says where an email file is, never the link in it, and shows no password or token of a request', async () => {
    const username = `c${Date.now()}`;
    const created = await svc.call('POST', '/auth/users/', { username, email: 'c@example.com', password: PASSWORD, re_password: PASSWORD });
    assert.equal(created.status, 201);
    let written: Record<string, unknown> | undefined;
    for (let i = 0; i < 200 && !written; i++) {
      written = records().find((r) => String(r.msg).startsWith('email written to'));
      if (!written) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(written, 'the email file is logged');
    const eml = await readFile(String(written.file), 'utf8');
    const link = /http:\/\/localhost:\d+\/#\/activate\/([^/\s]+)\/([^\s<"=]+)/.exec(eml.replace(/=\r?\n/g, ''));
    assert.ok(link, 'the file holds the link');
    const [, uid, token] = link;
    const bad = await svc.call('POST', '/auth/token/login/', { username, password: PASSWORD }, { Authorization: `Token ${TOKEN_KEY}` });
    assert.equal(bad.status, 401);
    await svc.call('POST', '/auth/users/activation/', { uid, token, link: link[0] });
    await new Promise((r) => setTimeout(r, 20));
    const text = lines.join('');
    assertNoSecret(text);
    for (const secret of [uid!, token!, link[0]]) assert.ok(!text.includes(secret), `${secret} leaked into the log`);
    assert.ok(records().some((r) => r.msg === 'request' && r.route === '/auth/users/activation/'));
  });
});

describe('the request id of the service', () => {
  const svc = useService();

  it('is the correlationId of the events the request caused, and the X-Request-Id answered', async () => {
    const sentId = `corr-${Date.now()}`;
    const sent = await svc.call(
      'POST',
      '/auth/users/',
      { username: `a${Date.now()}`, email: 'a@example.com', password: PASSWORD },
      {
        'X-Request-Id': sentId,
      },
    );
    assert.equal(sent.status, 201);
    assert.equal(sent.headers.get('x-request-id'), sentId);
    const own = await svc.call('POST', '/auth/users/', { username: `b${Date.now()}`, email: 'b@example.com', password: PASSWORD });
    assert.equal(own.status, 201);
    const generated = own.headers.get('x-request-id')!;
    const correlation = new Map<string, unknown>();
    for await (const e of svc.store.readAll()) if (isUserStream(e.streamId)) correlation.set(e.streamId, e.metadata.correlationId);
    assert.equal(correlation.get(`user-${sent.body.id}`), sentId);
    assert.equal(correlation.get(`user-${own.body.id}`), generated);
  });
});
