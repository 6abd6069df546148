// The user's sessions (authstream's own): GET users/me/sessions/ lists the DRF token and the live JWT sessions
// (created, last used, IP, user agent); DELETE users/me/sessions/<id>/ ends one (`token` is the DRF token);
// DELETE users/me/sessions/ ends them all, this one included.
import { z } from 'zod';
import { djoserErrors } from '../errors.js';
import { method, type Endpoint } from '../endpoint.js';
import type { RouteDeps } from './deps.js';
import type { SessionView } from '../../commands/tokens.js';

const sessionBody = z.array(
  z.object({
    id: z.string(),
    kind: z.enum(['token', 'jwt']),
    created: z.string(),
    last_used: z.string().nullable(),
    expires: z.string().nullable(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
  }),
);

const present = (s: SessionView) => ({
  id: s.id,
  kind: s.kind,
  created: s.created,
  last_used: s.lastUsed,
  expires: s.expires,
  ip: s.ip,
  user_agent: s.userAgent,
});

export function sessionEndpoints({ useCases }: RouteDeps): Endpoint[] {
  const { tokens } = useCases;
  return [
    {
      path: '/users/me/sessions/',
      errors: djoserErrors,
      otherMethods: 'authenticated',
      methods: {
        GET: method({
          permission: 'authenticated',
          doc: {
            summary: 'Your sessions: the DRF token and the live JWT sessions',
            responses: { 200: { description: 'The sessions.', body: sessionBody } },
          },
          handle: async (req) => ({ status: 200, body: (await tokens.sessions(req.user().user.id)).map(present) }),
        }),
        DELETE: method({
          permission: 'authenticated',
          doc: { summary: 'End every session (the DRF token and every JWT)', responses: { 204: { description: 'Ended.' } } },
          async handle(req) {
            await tokens.revokeAllSessions(req.user().user.id, req.metadata);
            return { status: 204 };
          },
        }),
      },
    },
    {
      path: '/users/me/sessions/:id/',
      errors: djoserErrors,
      otherMethods: 'authenticated',
      doc: { params: { id: { description: 'A session id from the list (`token` for the DRF token).' } } },
      methods: {
        DELETE: method({
          permission: 'authenticated',
          doc: { summary: 'End one session', responses: { 204: { description: 'Ended: its tokens stop working.' } } },
          async handle(req) {
            await tokens.revokeSession(req.user().user.id, req.params.id!, req.metadata);
            return { status: 204 };
          },
        }),
      },
    },
  ];
}
