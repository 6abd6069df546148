// Faults against the real RabbitMQ on 127.0.0.1:5672, with the service as a child process (so SIGKILL is real) and
// 200 registrations in flight (20 at a time):
//   (a) the broker stops and restarts (rabbitmqctl stop_app / start_app),
//   (b) the SMTP server refuses mail for a while (451),
//   (c) the service is killed with SIGKILL and started again on the same DATA_DIR.
// After each: every account event in the log was published at least once, every activation email arrived exactly once
// (under (c): once per Message-ID, see below), and every 201 has its account in the log.
import { after, afterEach, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import { openAccountKeys, sealedStore } from '../../src/erasure/open.js';
import { loadConfig } from '../../src/config.js';
import { readSecretKey } from '../../src/crypto/secret-key.js';
import { isUserStream } from '../../src/events/user.events.js';
import { spawnService, type ServiceProcess } from '../support/process.js';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp.js';
import { AMQP_URL, brokerReachable, cleanUp, declareCollector, drain, rabbitmqctl, uniqueName, waitForBroker } from '../support/rabbit.js';

const REGISTRATIONS = 200;
const CONCURRENCY = 20;
const EMAIL_CONCURRENCY = 8;

const reachable = await brokerReachable();
const skip = reachable ? false : `SKIPPED: no RabbitMQ at ${AMQP_URL}`;
if (skip) console.log(skip);

interface Harness {
  readonly prefix: string;
  readonly collector: string;
  readonly dataDir: string;
  readonly smtp: SmtpCapture;
  readonly env: Record<string, string>;
  service: ServiceProcess;
  /** Logs of earlier (killed) service processes. */
  earlierLogs: string[];
}

let current: Harness | null = null;
let brokerStopped = false;

async function startHarness(): Promise<Harness> {
  const prefix = uniqueName('authstream-fault');
  const collector = `${prefix}.collector`;
  await declareCollector(prefix, collector);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'authstream-fault-'));
  const smtp = await startSmtpCapture();
  const env = {
    DATA_DIR: dataDir,
    SMTP_URL: smtp.url,
    AMQP_URL,
    AMQP_EXCHANGE: prefix,
    SEND_ACTIVATION_EMAIL: 'true',
    EMAIL_MAX_ATTEMPTS: '40',
    EMAIL_RETRY_DELAY_MS: '200',
    EMAIL_RETRY_MAX_DELAY_MS: '1000',
    EMAIL_CONCURRENCY: String(EMAIL_CONCURRENCY),
    READ_YOUR_WRITES_TIMEOUT_MS: '30000',
  };
  const harness: Harness = { prefix, collector, dataDir, smtp, env, service: await spawnService(env), earlierLogs: [] };
  current = harness;
  return harness;
}

async function disposeHarness(h: Harness): Promise<void> {
  await h.service.stop('SIGKILL').catch(() => {});
  await h.smtp.close().catch(() => {});
  await cleanUp(h.prefix).catch(() => {});
  await rm(h.dataDir, { recursive: true, force: true });
}

interface Outcome {
  readonly username: string;
  readonly email: string;
  /** 201: the account id; 'ambiguous': the request failed mid-fault and its retry found the name taken. */
  readonly result: { status: 201; id: string } | { status: 'ambiguous' };
}

/**
 * 200 registrations, CONCURRENCY at a time. A request that fails without an answer (the service died) or with a 5xx
 * is retried with the same payload against the current service: a 201 then is a normal success; a 400 "taken" means
 * the first attempt may have been written, so it is recorded as ambiguous. Bounded: 30 attempts per registration.
 */
async function registerAll(h: Harness, onProgress: (done: number) => Promise<void> | void): Promise<Outcome[]> {
  const suffix = randomBytes(3).toString('hex');
  const outcomes: Outcome[] = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < REGISTRATIONS) {
      const i = next++;
      const username = `u${i}_${suffix}`;
      const email = `${username}@example.com`;
      let retried = false;
      for (let attempt = 1; ; attempt++) {
        assert.ok(attempt <= 30, `registration ${username} did not complete`);
        let status: number | null;
        let body: any = null;
        try {
          const res = await fetch(`${h.service.url}/auth/users/`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username, email, password: 'correct-horse-battery' }),
            signal: AbortSignal.timeout(30_000),
          });
          status = res.status;
          body = await res.json().catch(() => null);
        } catch {
          status = null;
        }
        if (status === 201) {
          outcomes.push({ username, email, result: { status: 201, id: String(body.id) } });
          break;
        }
        if (status === 400 && retried) {
          outcomes.push({ username, email, result: { status: 'ambiguous' } });
          break;
        }
        assert.ok(status === null || status >= 500, `registration ${username}: unexpected ${status} ${JSON.stringify(body)}`);
        retried = true;
        await new Promise((r) => setTimeout(r, 250));
      }
      done++;
      await onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return outcomes;
}

async function health(h: Harness): Promise<any> {
  try {
    return await (await fetch(`${h.service.url}/health`, { signal: AbortSignal.timeout(2_000) })).json();
  } catch {
    return null;
  }
}

/**
 * Waits until the relay has confirmed everything in the log (its position reached the read model's, which follows
 * every event) and every 201's activation email arrived; then a little longer, so late duplicates would show.
 */
async function settle(h: Harness, outcomes: Outcome[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const wanted = outcomes.filter((o) => o.result.status === 201).map((o) => o.email);
  for (;;) {
    const hh = await health(h);
    const received = new Set(h.smtp.mails.flatMap((m) => m.to));
    const caughtUp = hh && hh.relayActive && hh.relayPosition === hh.readModelPosition;
    if (caughtUp && wanted.every((e) => received.has(e))) break;
    if (Date.now() > deadline) {
      const missing = wanted.filter((e) => !received.has(e));
      assert.fail(
        `not settled in ${timeoutMs} ms: health ${JSON.stringify(hh)}, ${missing.length} emails missing\n${h.service.log().slice(-3_000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1_500));
}

interface Verdict {
  readonly events: number;
  readonly published: number;
  readonly duplicatesPublished: number;
  readonly activations: number;
  readonly emails: number;
  readonly duplicateEmails: number;
  readonly ambiguous: number;
  /** Ambiguous registrations whose account was written after all (the rest left only an unbacked reservation). */
  readonly ambiguousWritten: number;
  /** For each duplicated email: whether the killed process had logged it as sent (i.e. recorded it). */
  readonly duplicateNotes: string[];
}

/** Stops the service and checks the log against what was published and emailed. */
async function verify(h: Harness, outcomes: Outcome[], options: { strictEmails: boolean }): Promise<Verdict> {
  await h.service.stop('SIGTERM');
  // Read as the service does: personal data opened with the accounts' keys under DATA_DIR.
  const config = loadConfig({ DATA_DIR: h.dataDir });
  const keys = await openAccountKeys(config, (await readSecretKey(h.dataDir))!);
  const store = sealedStore(await openEmbeddedEventStore(path.join(h.dataDir, 'events'), { warn: () => {} }), keys);
  const events = [];
  try {
    for await (const e of store.readAll()) if (isUserStream(e.streamId)) events.push(e);
  } finally {
    await store.close();
  }
  const messages = await drain(h.collector);
  const publishedIds = new Set(messages.map((m) => m.messageId));
  const eventIds = new Set(events.map((e) => e.id));

  // Every account event was published at least once, and nothing else was.
  const unpublished = events.filter((e) => !publishedIds.has(e.id));
  assert.equal(
    unpublished.length,
    0,
    `unpublished: ${unpublished
      .slice(0, 5)
      .map((e) => `${e.type} ${e.id}`)
      .join(', ')}`,
  );
  assert.deepEqual(
    [...publishedIds].filter((id) => !eventIds.has(id)),
    [],
  );

  // Every 201 has its account; every account asked for an activation email.
  const registered = new Map(
    events.filter((e) => e.type === 'UserRegistered').map((e) => [e.data.userId as string, e.data.email as string]),
  );
  for (const o of outcomes) if (o.result.status === 201) assert.ok(registered.has(o.result.id), `201 ${o.username} lost`);
  const activationEmails = events.filter((e) => e.type === 'ActivationEmailRequested').map((e) => registered.get(e.data.userId as string)!);
  assert.equal(new Set(activationEmails).size, activationEmails.length);

  // Every activation email arrived exactly once.
  const byRecipient = new Map<string, string[]>();
  for (const m of h.smtp.mails) for (const to of m.to) byRecipient.set(to, [...(byRecipient.get(to) ?? []), m.messageId]);
  assert.deepEqual(
    [...byRecipient.keys()].filter((to) => !activationEmails.includes(to)),
    [],
    'emails to no account',
  );
  let duplicateEmails = 0;
  const duplicateNotes: string[] = [];
  for (const to of activationEmails) {
    const ids = byRecipient.get(to) ?? [];
    assert.ok(ids.length >= 1, `no activation email for ${to}`);
    duplicateEmails += ids.length - 1;
    if (ids.length > 1) {
      const eventId = /<([^@]+)@authstream>/.exec(ids[0]!)?.[1] ?? '?';
      const recorded = h.earlierLogs.some((log) => log.includes(`"eventId":"${eventId}"`));
      duplicateNotes.push(
        `${to} ×${ids.length}: ${recorded ? 'was logged as sent before the kill (dedupe failed!)' : 'sent but not yet recorded when killed'}`,
      );
    }
    if (options.strictEmails) assert.equal(ids.length, 1, `${ids.length} activation emails for ${to}`);
    else assert.equal(new Set(ids).size, 1, `${to} got different Message-IDs: ${ids.join(', ')}`);
  }
  if (!options.strictEmails) {
    // Only an email in hand at the kill (accepted by SMTP, not yet recorded as sent) can go out twice.
    assert.ok(duplicateEmails <= EMAIL_CONCURRENCY, `${duplicateEmails} duplicate emails`);
    assert.ok(!duplicateNotes.some((n) => n.includes('dedupe failed')), duplicateNotes.join('; '));
  }
  return {
    events: events.length,
    published: messages.length,
    duplicatesPublished: messages.length - publishedIds.size,
    activations: activationEmails.length,
    emails: h.smtp.mails.length,
    duplicateEmails,
    ambiguous: outcomes.filter((o) => o.result.status === 'ambiguous').length,
    ambiguousWritten: outcomes.filter((o) => o.result.status === 'ambiguous' && activationEmails.includes(o.email)).length,
    duplicateNotes,
  };
}

function report(t: TestContext, name: string, started: number, faultMs: number, v: Verdict): void {
  t.diagnostic(
    `${name}: ${REGISTRATIONS} registrations, ${v.events} account events, ${v.published} messages published ` +
      `(${v.duplicatesPublished} duplicates), ${v.activations} activation emails due, ${v.emails} arrived ` +
      `(${v.duplicateEmails} duplicates), ${v.ambiguous} ambiguous registrations (${v.ambiguousWritten} written); fault lasted ${faultMs} ms, ` +
      `test ${Date.now() - started} ms${v.duplicateNotes.length ? `; ${v.duplicateNotes.join('; ')}` : ''}`,
  );
}

describe('faults with 200 registrations in flight', { skip, timeout: 240_000 }, () => {
  afterEach(async () => {
    if (brokerStopped) {
      await rabbitmqctl('start_app').catch(() => {});
      await waitForBroker().catch(() => {});
      brokerStopped = false;
    }
    if (current) await disposeHarness(current);
    current = null;
  });
  after(async () => {
    if (brokerStopped) await rabbitmqctl('start_app').catch(() => {});
  });

  it('(a) the broker stops and restarts', async (t) => {
    const started = Date.now();
    const h = await startHarness();
    let fault: Promise<number> | null = null;
    const outcomes = await registerAll(h, (done) => {
      if (done !== 50) return;
      fault = (async () => {
        const t0 = Date.now();
        brokerStopped = true;
        await rabbitmqctl('stop_app');
        await new Promise((r) => setTimeout(r, 2_000));
        await rabbitmqctl('start_app');
        await waitForBroker();
        brokerStopped = false;
        return Date.now() - t0;
      })();
    });
    const faultMs = await fault!;
    assert.equal(outcomes.filter((o) => o.result.status === 201).length, REGISTRATIONS, 'the API does not depend on the broker');
    await settle(h, outcomes);
    report(t, '(a) broker stop/start', started, faultMs, await verify(h, outcomes, { strictEmails: true }));
  });

  it('(b) the SMTP server refuses mail for a while', async (t) => {
    const started = Date.now();
    const h = await startHarness();
    let fault: Promise<number> | null = null;
    const outcomes = await registerAll(h, (done) => {
      if (done !== 50) return;
      fault = (async () => {
        const t0 = Date.now();
        h.smtp.refusing = true;
        await new Promise((r) => setTimeout(r, 4_000));
        h.smtp.refusing = false;
        return Date.now() - t0;
      })();
    });
    const faultMs = await fault!;
    await settle(h, outcomes);
    assert.match(h.service.log(), /retry scheduled/, 'SMTP refusals were retried');
    report(t, '(b) SMTP refusing', started, faultMs, await verify(h, outcomes, { strictEmails: true }));
  });

  it('(c) the service is killed with SIGKILL and restarted', async (t) => {
    const started = Date.now();
    const h = await startHarness();
    let fault: Promise<number> | null = null;
    const outcomes = await registerAll(h, async (done) => {
      if (done !== 80) return;
      fault = (async () => {
        const t0 = Date.now();
        h.earlierLogs.push(h.service.log());
        await h.service.stop('SIGKILL');
        h.service = await spawnService(h.env);
        return Date.now() - t0;
      })();
      await fault; // this worker waits; the others' requests fail and retry against the new process
    });
    const faultMs = await fault!;
    await settle(h, outcomes);
    report(t, '(c) SIGKILL + restart', started, faultMs, await verify(h, outcomes, { strictEmails: false }));
  });
});
