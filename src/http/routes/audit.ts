// The audit trail over HTTP: GET users/me/events/ (the caller's own history) and GET users/<id>/events/ (staff; a
// regular user gets what users/<id>/ gives them: their own, else 404 with HIDE_USERS, 403 without). Paginated with
// DRF's PageNumberPagination body ({count, next, previous, results}; PAGE_SIZE, else 50 per page; ?page=N or last),
// newest first by default (`?order=oldest` for oldest first). Each result: the event's id, type, revision, recorded
// time (`at`), public data (never a password hash, token material or a sealed key) and metadata (correlationId,
// causationId, actor, ip, userAgent, schemaVersion). Staff also see the history of a deleted account: it is in the
// log though no longer in the read model.
import { z } from 'zod';
import type { Caller } from '../../commands/admin.js';
import type { AuditOrder } from '../../commands/audit.js';
import type { Principal } from '../authenticate.js';
import { ApiError, detail, djoserErrors } from '../errors.js';
import { method, type Endpoint, type EndpointRequest, type Reply } from '../endpoint.js';
import type { Fields } from '../fields.js';
import { requestedPage } from '../pagination.js';
import type { RouteDeps } from './deps.js';

/** The page size when PAGE_SIZE is unset (users/ then answers a plain list; a history is always paged). */
export const AUDIT_PAGE_SIZE = 50;

const callerOf = ({ user }: Principal): Caller => ({ id: user.id, isStaff: user.isStaff, isSuperuser: user.isSuperuser });

// An account id as the log names its stream: a UUID or a decimal.
const ACCOUNT_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[1-9][0-9]{0,17})$/i;

const auditEventBody = z
  .object({
    id: z.string().describe("The event's id."),
    type: z.string().describe('UserRegistered, UserLoggedIn, …'),
    revision: z.number().int().describe("The event's revision in the account's stream, from 0."),
    at: z.string().describe('When the event store recorded it (ISO 8601, UTC).'),
    data: z.record(z.string(), z.unknown()).nullable().describe('The public form of the event; null if this version cannot read it.'),
    metadata: z.record(z.string(), z.unknown()).describe('correlationId, causationId, actor, ip, userAgent, schemaVersion, as recorded.'),
    unreadable: z.literal(true).optional().describe('Set on an event this version cannot read.'),
  })
  .meta({ id: 'AuditEvent' });

const auditPageBody = z
  .object({
    count: z.number().int(),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    results: z.array(auditEventBody),
  })
  .meta({ id: 'AuditEventPage', description: "DRF's PageNumberPagination around an account's events." });

export function auditEndpoints({ config, useCases }: RouteDeps): Endpoint[] {
  const { audit, admin } = useCases;
  const pageConfig = {
    ...config,
    PAGE_SIZE: config.PAGE_SIZE ?? AUDIT_PAGE_SIZE,
    DEFAULT_PAGINATION_CLASS: 'PageNumberPagination' as const,
  };

  const history = async (req: EndpointRequest<Fields>, userId: string): Promise<Reply> => {
    const asked = req.url.searchParams.get('order') ?? 'newest';
    if (asked !== 'newest' && asked !== 'oldest') {
      throw new ApiError(400, { order: [`Select a valid choice. ${asked} is not one of the available choices.`] });
    }
    const order: AuditOrder = asked;
    const total = await audit.count(userId);
    const page = await requestedPage(pageConfig, req.url, async () => total);
    const results = await audit.page(userId, { offset: page!.offset, limit: page!.limit, order }, total);
    return { status: 200, body: page!.body(total, results) };
  };

  const doc = (summary: string, description: string) => ({
    summary,
    description,
    responses: { 200: { description: 'A page of events, newest first (`?order=oldest`: oldest first).', body: auditPageBody } },
  });

  return [
    {
      path: '/users/me/events/',
      errors: djoserErrors,
      otherMethods: 'authenticated',
      methods: {
        GET: method({
          permission: 'authenticated',
          doc: doc(
            'The authenticated user’s own history',
            'Every event of the account, in public form, with who caused it and from where. `?page=N`, `?order=newest|oldest`.',
          ),
          handle: (req) => history(req, req.user().user.id),
        }),
      },
    },
    {
      path: '/users/:id/events/',
      errors: djoserErrors,
      otherMethods: 'authenticated',
      doc: { params: { id: { description: "The user's id." } } },
      methods: {
        GET: method({
          permission: 'authenticated',
          doc: doc(
            'A user’s history (staff; others only their own)',
            'Staff see any account’s events, a deleted one’s too. Anyone else: their own; another id answers as users/<id>/ does (404 with HIDE_USERS).',
          ),
          async handle(req) {
            const caller = callerOf(req.user());
            const id = req.params.id!;
            if (caller.isStaff) {
              if (!ACCOUNT_ID.test(id) || (await audit.count(id.toLowerCase())) === 0) throw detail(404, 'Not found.');
              return history(req, id.toLowerCase());
            }
            const target = await admin.find(caller, id, 'retrieve');
            return history(req, target.id);
          },
        }),
      },
    },
  ];
}
