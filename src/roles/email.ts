// The email role: consumes account events from the bus and sends djoser's emails.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { emailQueue } from '../config.js';
import type { EventBus, Subscription } from '../amqp/bus.js';
import { createMailer } from '../email/mailer.js';
import { emailBindings, emailDeliveryHandler, type RecipientLookup } from '../email/consumer.js';
import { openFileSentStore, openMongoSentStore } from '../email/sent.js';
import { createEmailRenderer } from '../email/templates.js';
import { ConfigError } from '../config.js';
import { accountHandler } from '../commands/accounts.js';
import { lruStateCache } from '../commands/state-cache.js';
import { isAccount, type UserState } from '../commands/account.state.js';
import { userStream } from '../events/user.events.js';
import type { RunningRole, ServiceContext } from './context.js';

/** The email queue's spec: the relay declares it too, so no event is published before the queue exists. */
export const emailQueueSpec = (ctx: Pick<ServiceContext, 'config'>) => ({
  queue: emailQueue(ctx.config),
  bindings: emailBindings,
  concurrency: ctx.config.AMQP_URL ? ctx.config.EMAIL_CONCURRENCY : 1,
});

export async function startEmailConsumer(ctx: ServiceContext, bus: EventBus): Promise<RunningRole> {
  const { config, log, now, secretKey, store } = ctx;
  // Every template is read and rendered once here: a bad directory, an unknown file or a typo stops the start.
  let emails;
  try {
    emails = createEmailRenderer({
      templatesDir: config.EMAIL_TEMPLATES_DIR,
      language: config.LANGUAGE_CODE,
      allauthSubjectPrefix: config.ACCOUNT_EMAIL_SUBJECT_PREFIX,
    });
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  EMAIL_TEMPLATES_DIR, LANGUAGE_CODE: ${(error as Error).message}`);
  }
  if (emails.language !== config.LANGUAGE_CODE.toLowerCase().replaceAll('_', '-'))
    log.info(`no email templates for LANGUAGE_CODE=${config.LANGUAGE_CODE}: the emails are in ${emails.language}`);
  // Links are built from the account as the event store has it at send time.
  const handler = accountHandler(store, lruStateCache<UserState>(), randomUUID);
  const recipient: RecipientLookup = async (userId) => {
    const { state } = await handler.load(userStream(userId));
    if (!isAccount(state)) return null;
    const { id, email, passwordHash, lastLogin } = state;
    // `{{ user.get_username }}` in djoser's templates: the email on the email user model.
    const username = config.USERNAME_FIELD === 'email' ? email : state.username;
    return { id, active: state.status === 'active', username, email, passwordHash, lastLogin };
  };
  const sent = config.MONGODB_URI ? await openMongoSentStore(config.MONGODB_URI, config.MONGODB_DB) : openFileSentStore(config.DATA_DIR);
  const mailer = createMailer({
    smtpUrl: config.SMTP_URL,
    mailDir: path.join(config.DATA_DIR, 'mail'),
    from: config.DEFAULT_FROM_EMAIL,
    log,
  });
  let subscription: Subscription;
  try {
    subscription = await bus.consume(
      emailQueueSpec(ctx),
      emailDeliveryHandler({
        config,
        secretKey,
        recipient,
        now,
        emails,
        mailer,
        sent,
        log,
        maxAttempts: config.EMAIL_MAX_ATTEMPTS,
        retryDelayMs: config.EMAIL_RETRY_DELAY_MS,
        retryMaxDelayMs: config.EMAIL_RETRY_MAX_DELAY_MS,
      }),
    );
  } catch (error) {
    mailer.close();
    await sent.close();
    throw error;
  }
  return {
    health: () => ({}),
    async close() {
      await subscription.close();
      mailer.close();
      await sent.close();
    },
  };
}
