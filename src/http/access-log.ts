// The request id, the access log and the HTTP metrics: express middleware mounted first in every app.
//
// The request id is the client's X-Request-Id when it sent a sane one (REQUEST_ID), else a new UUID; it is echoed in
// the X-Request-Id response header, is the correlationId that events record (app.ts's requestMetadata reads it
// through requestId()), and is in every log line written while the request is handled (an AsyncLocalStorage read by
// the logger's mixin, see log.ts), with the user id once the request is authenticated (withUserInLog).
//
// One line per request when it ends: method, route template (`/auth/users/:id/`, never the raw path: it can carry
// ids, and an unmatched path is `unmatched`), status, ms, requestId, userId. Health probes and scrapes are logged at
// debug level.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { currentLogContext, runWithLogContext, type LogContext, type Logger } from '../log.js';
import { metrics } from '../observability/metrics.js';
import type { Authenticator } from './authenticate.js';

/** What a client may send as X-Request-Id. */
export const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

interface RequestContext extends LogContext {
  route?: string;
}

const contexts = new WeakMap<IncomingMessage, RequestContext>();
/** The authenticator sees only the headers: they lead back to the request's context. */
const byHeaders = new WeakMap<IncomingHttpHeaders, RequestContext>();

function contextOf(req: IncomingMessage): RequestContext {
  let ctx = contexts.get(req);
  if (!ctx) {
    const sent = req.headers['x-request-id'];
    ctx = { requestId: typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID() };
    contexts.set(req, ctx);
    byHeaders.set(req.headers, ctx);
  }
  return ctx;
}

/** The request's id (the same for the whole request, whoever asks). */
export function requestId(req: IncomingMessage): string {
  return contextOf(req).requestId;
}

/** Login endpoints whose outcome is counted in authstream_logins_total. */
const LOGINS: Record<string, 'token' | 'jwt'> = { '/auth/token/login/': 'token', '/auth/jwt/create/': 'jwt' };
const QUIET = /^\/(health|metrics)\b/;

export function accessLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const ctx = contextOf(req);
    res.setHeader('X-Request-Id', ctx.requestId);
    recordRouteTemplate(req, ctx);
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = ctx.route ?? 'unmatched';
      const status = res.statusCode;
      metrics.httpRequest(req.method, route, status, seconds);
      const login = req.method === 'POST' ? LOGINS[route] : undefined;
      if (login && status >= 200 && status < 300) metrics.login(login, 'success');
      else if (login && (status === 400 || status === 401 || status === 403)) metrics.login(login, 'failure');
      const line = {
        method: req.method,
        route,
        status,
        ms: Math.round(seconds * 10_000) / 10,
        requestId: ctx.requestId,
        ...(ctx.userId === undefined ? {} : { userId: ctx.userId }),
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (QUIET.test(route)) log.debug('request', line);
      else log.info('request', line);
    });
    runWithLogContext(ctx, () => next());
  };
}

/**
 * Express sets `req.route` when a route matches, while `req.baseUrl` is still its router's mount path (it is reset
 * once the request leaves the router, e.g. with an error): the template is taken at that moment.
 */
function recordRouteTemplate(req: Request, ctx: RequestContext): void {
  let route: unknown;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: unknown) {
      route = value;
      const path = (value as { path?: unknown } | undefined)?.path;
      if (typeof path === 'string') ctx.route = `${req.baseUrl}${path}`.replaceAll('{/}', '/').replace(/\/{2,}/g, '/');
    },
  });
}

/** Puts the authenticated user's id into the request's log lines and its access-log line. */
export function withUserInLog(authenticate: Authenticator): Authenticator {
  return async (headers) => {
    const principal = await authenticate(headers);
    const ctx = byHeaders.get(headers) ?? currentLogContext();
    if (principal && ctx) ctx.userId = principal.user.id;
    return principal;
  };
}
