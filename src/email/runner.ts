// Glue between a subscription runner and the email consumer: account events in, emails out.
import type { RecordedEvent } from '../store/port.js';
import type { Logger } from '../log.js';
import { isUserStream, parseUserEvent } from '../events/user.events.js';
import { composeEmail, type EmailConsumerDeps } from './consumer.js';
import type { Mailer } from './mailer.js';

export function emailRunnerHandler(deps: EmailConsumerDeps & { mailer: Mailer; log: Logger }) {
  return async (recorded: RecordedEvent): Promise<void> => {
    if (!isUserStream(recorded.streamId)) return;
    const email = await composeEmail(deps, parseUserEvent(recorded.type, recorded.data), recorded.id);
    if (!email) return;
    await deps.mailer.send(email);
    deps.log.info('email sent', { kind: email.kind, userId: recorded.data.userId, eventId: recorded.id });
  };
}
