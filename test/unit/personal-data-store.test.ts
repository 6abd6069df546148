// The sealing decorator over a real (embedded) store: what it writes, what readers get back, and what an erased
// account's events read as — sealed ones and ones written before sealing existed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { accountKeyStore, memoryWrappedKeys, type AccountKeyStore } from '../../src/erasure/account-keys.js';
import { personalDataStore, SEALED_FIELD } from '../../src/erasure/personal-data-store.js';
import { userEvent } from '../../src/events/user.events.js';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import type { EventStore, EventToAppend } from '../../src/store/port.js';

const at = '2026-12-01T10:00:00.000Z';
const registered = (userId: string, email: string): EventToAppend => {
  const e = userEvent('UserRegistered', {
    userId,
    username: `name${userId}`,
    email,
    firstName: 'Ada',
    lastName: 'Lovelace',
    profile: { phone: '+44 20 7946 0000' },
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    isActive: true,
    isStaff: false,
    isSuperuser: false,
    at,
  });
  return {
    id: randomUUID(),
    type: e.type,
    data: e.data,
    metadata: { actor: 'anonymous', ip: '198.51.100.9', userAgent: 'UA/1', schemaVersion: 2 },
  };
};

describe('personal data store', () => {
  let dir: string;
  let raw: EventStore;
  let keys: AccountKeyStore;
  let sealed: EventStore;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'authstream-pds-'));
    raw = await openEmbeddedEventStore(dir);
    keys = accountKeyStore(memoryWrappedKeys(), randomBytes(32));
    sealed = personalDataStore(raw, keys);
  });
  after(async () => {
    await raw.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores personal fields and client data sealed, and gives them back to readers unchanged', async () => {
    const event = registered('101', 'ada@example.com');
    await sealed.append('user-101', [event], 'no_stream');
    const [stored] = await raw.readStream('user-101');
    assert.ok(!JSON.stringify([stored!.data, stored!.metadata]).includes('ada@example.com'));
    assert.ok(!JSON.stringify([stored!.data, stored!.metadata]).includes('198.51.100.9'));
    assert.ok(!JSON.stringify([stored!.data, stored!.metadata]).includes('argon2id'));
    assert.equal(stored!.data.isActive, true, 'what is not personal stays readable');
    assert.deepEqual(stored!.data[SEALED_FIELD] && Object.keys(stored!.data[SEALED_FIELD] as object).sort(), [
      'fields',
      'metadata',
      'value',
    ]);
    const [read] = await sealed.readStream('user-101');
    assert.deepEqual(read!.data, event.data);
    assert.deepEqual(read!.metadata, event.metadata);
    const all = [];
    for await (const e of sealed.readAll()) if (e.streamId === 'user-101') all.push(e);
    assert.deepEqual(all[0]!.data, event.data);
  });

  it('reads an erased account as "[erased]", with null and {} where the schema needs them', async () => {
    await keys.erase('101');
    const [read] = await sealed.readStream('user-101');
    assert.equal(read!.data.email, '[erased]');
    assert.equal(read!.data.username, '[erased]');
    assert.equal(read!.data.passwordHash, null);
    assert.deepEqual(read!.data.profile, {});
    assert.equal(read!.metadata.ip, '[erased]');
    assert.equal(read!.metadata.actor, 'anonymous');
  });

  it('keeps nothing personal of what is appended after the erasure', async () => {
    const change = userEvent('EmailChanged', {
      userId: '101',
      email: 'new@example.com',
      previousEmail: 'x@example.com',
      reason: 'set',
      at,
    });
    await sealed.append('user-101', [{ id: randomUUID(), type: change.type, data: change.data, metadata: { ip: '198.51.100.9' } }], 0n);
    const [, stored] = await raw.readStream('user-101');
    assert.ok(!JSON.stringify([stored!.data, stored!.metadata]).includes('example.com'));
    assert.equal(stored!.metadata.ip, undefined);
  });

  it('masks the clear personal data of events written before sealing existed, once their account is erased', async () => {
    const old = registered('102', 'old@example.com');
    await raw.append('user-102', [old], 'no_stream'); // an older version wrote it unsealed
    assert.equal((await sealed.readStream('user-102'))[0]!.data.email, 'old@example.com', 'read as written until erased');
    await keys.erase('102');
    const [read] = await sealed.readStream('user-102');
    assert.equal(read!.data.email, '[erased]');
    assert.equal(read!.data.firstName, '[erased]');
    assert.equal(read!.metadata.userAgent, '[erased]');
  });

  it('keeps no client data on the streams of a value, and leaves other streams alone', async () => {
    const metadata = { correlationId: 'c1', ip: '198.51.100.9', userAgent: 'UA/1' };
    await sealed.append('mailbox-abc', [{ id: randomUUID(), type: 'MailboxHeld', data: { v: 1, userId: '1', at }, metadata }], 'any');
    await sealed.append('audit-unknown-logins-2026-12-01', [{ id: randomUUID(), type: 'X', data: {}, metadata }], 'any');
    assert.deepEqual((await raw.readStream('mailbox-abc'))[0]!.metadata, { correlationId: 'c1' });
    assert.deepEqual((await raw.readStream('audit-unknown-logins-2026-12-01'))[0]!.metadata, metadata);
  });
});
