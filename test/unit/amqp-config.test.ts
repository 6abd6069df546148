// The bus and email-consumer settings: defaults, the derived queue name, and bad values named.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, emailQueue, loadConfig } from '../../src/config.js';

describe('bus and email settings', () => {
  it('has defaults', () => {
    const c = loadConfig({});
    assert.equal(c.AMQP_URL, undefined);
    assert.equal(c.AMQP_EXCHANGE, 'authstream.events');
    assert.equal(c.CLOUDEVENTS_SOURCE, '/authstream');
    assert.equal(emailQueue(c), 'authstream.events.email');
    assert.equal(c.EMAIL_MAX_ATTEMPTS, 8);
    assert.equal(c.EMAIL_RETRY_DELAY_MS, 1_000);
    assert.equal(c.EMAIL_RETRY_MAX_DELAY_MS, 60_000);
    assert.equal(c.EMAIL_CONCURRENCY, 8);
    assert.equal(c.AMQP_QUEUE_TYPE, 'quorum');
    assert.equal(loadConfig({ AMQP_QUEUE_TYPE: 'classic' }).AMQP_QUEUE_TYPE, 'classic');
  });

  it('derives the email queue from the exchange unless set', () => {
    assert.equal(emailQueue(loadConfig({ AMQP_EXCHANGE: 'x' })), 'x.email');
    assert.equal(emailQueue(loadConfig({ AMQP_EXCHANGE: 'x', EMAIL_QUEUE: 'mails' })), 'mails');
  });

  it('keeps the backoff cap at least the first delay', () => {
    assert.equal(loadConfig({ EMAIL_RETRY_DELAY_MS: '5000', EMAIL_RETRY_MAX_DELAY_MS: '100' }).EMAIL_RETRY_MAX_DELAY_MS, 5_000);
  });

  it('names bad values', () => {
    for (const [name, value] of [
      ['EMAIL_MAX_ATTEMPTS', '0'],
      ['EMAIL_MAX_ATTEMPTS', 'many'],
      ['EMAIL_CONCURRENCY', '0'],
      ['AMQP_URL', 'http://x'],
      ['EMAIL_RETRY_DELAY_MS', '1'],
      ['AMQP_QUEUE_TYPE', 'stream'],
    ]) {
      assert.throws(
        () => loadConfig({ [name!]: value }),
        (e: unknown) => e instanceof ConfigError && e.message.includes(name!),
        `${name}=${value}`,
      );
    }
  });
});
