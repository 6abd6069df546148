// The bus and email-consumer settings: defaults, the derived queue name, bad values named, and AMQP_QUEUE_TYPE
// against queues that already exist as the other type.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, emailQueue, loadConfig } from '../../src/config.js';
import { existingQueueType, queueTypes } from '../../src/amqp/amqp-bus.js';
import { silentLogger } from '../../src/log.js';

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

describe('AMQP_QUEUE_TYPE against queues that exist', () => {
  const refusal = (message: string) =>
    Object.assign(new Error(`Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message "${message}"`), { code: 406 });
  const q = "for queue 'q' in vhost '/'";

  it("reads a queue's existing type from the broker's refusal, in each of RabbitMQ's wordings", () => {
    assert.equal(
      existingQueueType(
        refusal(
          `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' ${q}: received the value 'quorum' of type 'longstr' but current is none`,
        ),
      ),
      'classic',
    );
    assert.equal(
      existingQueueType(
        refusal(
          `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' ${q}: received none but current is the value 'quorum' of type 'longstr'`,
        ),
      ),
      'quorum',
    );
    assert.equal(
      existingQueueType(refusal(`PRECONDITION_FAILED - inequivalent arg 'x-queue-type' ${q}: received 'classic' but current is 'quorum'`)),
      'quorum',
    );
    // Not a type it declares, another argument, another error: nothing learned.
    assert.equal(
      existingQueueType(refusal(`PRECONDITION_FAILED - inequivalent arg 'x-queue-type' ${q}: received 'quorum' but current is 'stream'`)),
      null,
    );
    assert.equal(
      existingQueueType(refusal(`PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' ${q}: received '100' but current is '200'`)),
      null,
    );
    assert.equal(existingQueueType(Object.assign(new Error('NOT_FOUND'), { code: 404 })), null);
  });

  it('declares each queue as configured until the broker says it exists as the other type, and says so once', () => {
    const warnings: string[] = [];
    const types = queueTypes('quorum', { ...silentLogger, warn: (msg) => void warnings.push(msg) });
    assert.equal(types.of('q'), 'quorum');
    const refused = refusal(
      `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' ${q}: received the value 'quorum' of type 'longstr' but current is none`,
    );
    assert.equal(types.learn('q', refused), true);
    assert.equal(types.of('q'), 'classic');
    assert.equal(types.of('other'), 'quorum');
    assert.equal(types.learn('q', refused), false, 'refused again as the type it learned: nothing more to learn');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /the queue q exists as a classic queue: it is used as it is \(AMQP_QUEUE_TYPE=quorum/);
  });
});
