// The request id, the access log and the HTTP metrics: express middleware mounted first in every app.
//
// The request id is the client's X-Request-Id when it sent a sane one (REQUEST_ID), else a new UUID; it is echoed in
// the X-Request-Id response header, is the correlationId that events record (app.ts's requestMetadata reads it
// through requestId()), and is in every line logged through requestLogger(log, req), with the user id once the
// request is authenticated (withUserInLog).
//
// One line per request when it ends: method, route template (`/auth/users/:id/`, never the raw path: it can carry
// ids, and an unmatched path is `unmatched`), status, ms, requestId, userId. Health probes and scrapes are logged at
// debug level.
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Logger } from '../log.js';
import { metrics } from '../observability/metrics.js';
import type { Authenticator } from './authenticate.js';

/** What a client may send as X-Request-Id. */
export const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** What the request's log lines say about it. */
interface RequestContext {
  readonly requestId: string;
  userId?: string;
  route?: string;
}

/**
 * The request's context, on its headers object under a symbol: the authenticator sees only the headers, and a
 * property is cheaper than a WeakMap entry (for the GC too: a WeakMap entry per request was ~3% of a `GET users/me/`).
 * A symbol key is in no listing of the headers (Object.keys, entries, JSON).
 */
const CONTEXT = Symbol('request context');
type WithContext = IncomingHttpHeaders & { [CONTEXT]?: RequestContext };

function contextOf(req: IncomingMessage): RequestContext {
  return contextOfHeaders(req.headers);
}

function contextOfHeaders(headers: WithContext): RequestContext {
  let ctx = headers[CONTEXT];
  if (!ctx) {
    const sent = headers['x-request-id'];
    ctx = { requestId: typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID() };
    headers[CONTEXT] = ctx;
  }
  return ctx;
}

/** The request's id (the same for the whole request, whoever asks). */
export function requestId(req: IncomingMessage): string {
  return contextOf(req).requestId;
}

/** A logger whose lines carry the request's id, and its user's once authenticated (as its access line does). */
export function requestLogger(log: Logger, req: IncomingMessage): Logger {
  const ctx = contextOf(req);
  const about = (fields?: Record<string, unknown>) => ({
    requestId: ctx.requestId,
    ...(ctx.userId === undefined ? {} : { userId: ctx.userId }),
    ...fields,
  });
  return {
    debug: (msg, fields) => log.debug(msg, about(fields)),
    info: (msg, fields) => log.info(msg, about(fields)),
    warn: (msg, fields) => log.warn(msg, about(fields)),
    error: (msg, fields) => log.error(msg, about(fields)),
  };
}

/** Login endpoints whose outcome is counted in authstream_logins_total. */
const LOGINS: Record<string, 'token' | 'jwt'> = { '/auth/token/login/': 'token', '/auth/jwt/create/': 'jwt' };
const QUIET = /^\/(health|metrics)\b/;

export function accessLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const ctx = contextOf(req);
    res.setHeader('X-Request-Id', ctx.requestId);
    recordRouteTemplates(req);
    res.on('close', () => {
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
    next();
  };
}

/** The template as the access log shows it: express's optional slash (`{/}`) and doubled slashes made one. */
export const routeTemplate = (path: string): string => path.replaceAll('{/}', '/').replace(/\/{2,}/g, '/');

/** Names the route template (`/auth/users/me/`, as routeTemplate() writes it) the request's access-log line shows. */
export function recordRoute(req: IncomingMessage, template: string): void {
  contextOf(req).route = template;
}

const ROUTE = Symbol('route');
const withRouteAccessor = new WeakSet<object>();

/**
 * Express sets `req.route` when a route matches, while `req.baseUrl` is still its router's mount path (it is reset
 * once the request leaves the router, e.g. with an error): the template is taken at that moment, by an accessor on
 * the app's request prototype (express's `app.request`), defined at its first request: a property defined on each
 * request would slow every request down.
 */
function recordRouteTemplates(req: Request): void {
  const prototype = Object.getPrototypeOf(req) as object;
  if (withRouteAccessor.has(prototype)) return;
  withRouteAccessor.add(prototype);
  Object.defineProperty(prototype, 'route', {
    configurable: true,
    enumerable: true,
    get(this: Request & { [ROUTE]?: unknown }) {
      return this[ROUTE];
    },
    set(this: Request & { [ROUTE]?: unknown }, value: unknown) {
      this[ROUTE] = value;
      const path = (value as { path?: unknown } | undefined)?.path;
      if (typeof path === 'string') recordRoute(this, routeTemplate(`${this.baseUrl}${path}`));
    },
  });
}

/** Puts the authenticated user's id into the request's log lines and its access-log line. */
export function withUserInLog(authenticate: Authenticator): Authenticator {
  return async (headers) => {
    const principal = await authenticate(headers);
    if (principal) contextOfHeaders(headers).userId = principal.user.id;
    return principal;
  };
}
