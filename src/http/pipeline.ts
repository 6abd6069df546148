// Turns endpoint declarations into express routes that run DRF's pipeline, in DRF's order:
//   resolve the URL (404) → authenticate (401 on a bad credential) → permission (401) → media type (415) → parse the
//   body (400) → method (405, OPTIONS) → fields (400) → handler → response,
// with every failure mapped through the endpoint family's error table.
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { EventMetadata } from '../commands/command-handler.js';
import { recordRoute, routeTemplate } from './access-log.js';
import { notAuthenticated, type Authenticator, type Principal } from './authenticate.js';
import type { Endpoint, EndpointRequest, HttpMethod, MethodSpec, Reply } from './endpoint.js';
import { ApiError, detail, isFieldErrors, toApiError } from './errors.js';
import { inFieldOrder, parseFields, type FieldErrors } from './fields.js';
import type { Throttles } from '../throttle.js';
import type { ThrottleScope } from '../config.js';
import { requestPath } from './request-path.js';

const BODY_LIMIT = '100kb';
const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export interface PipelineDeps {
  readonly authenticate: Authenticator;
  readonly throttles: Throttles;
  /** What every event a request causes records about it (correlation id, actor, client). */
  readonly metadata: (req: Request, principal: Principal | null) => EventMetadata;
  /**
   * Asked before anything else: a reply answers the request instead of the endpoint (503 while the read model is
   * stopped at an event it cannot read, rather than serve a model known to be behind).
   */
  readonly gate?: () => Reply | null;
}

/**
 * One router for a REST surface: its endpoints, and DRF's 404 for any other path. A path without parameters (most
 * of them, users/me/ and the logins included) is found in a map rather than by trying every route's pattern in turn;
 * the others go through express's router.
 */
export function surfaceRouter(endpoints: readonly Endpoint[], deps: PipelineDeps): RequestHandler {
  const router = Router({ strict: true, caseSensitive: true });
  const exact = new Map<string, Endpoint>();
  for (const endpoint of mergeByPath(endpoints)) {
    if (!endpoint.path.includes(':')) {
      exact.set(endpoint.path, endpoint);
      if (endpoint.optionalSlash) exact.set(endpoint.path.replace(/\/$/, ''), endpoint);
      continue;
    }
    const path = endpoint.optionalSlash ? `${endpoint.path.replace(/\/$/, '')}{/}` : endpoint.path;
    router.all(path, (req, res, next) => void runEndpoint(endpoint, deps, req, res).catch(next));
  }
  router.use((_req, res) => void res.status(404).json({ detail: 'Not found.' }));
  const templates = new Map<string, string>(); // baseUrl + path -> the access log's template
  return (req, res, next) => {
    const endpoint = exact.get(requestPath(req));
    if (!endpoint) return void router(req, res, next);
    const key = `${req.baseUrl}${endpoint.path}`;
    let template = templates.get(key);
    if (template === undefined) templates.set(key, (template = routeTemplate(key)));
    recordRoute(req, template);
    req.params = {};
    void runEndpoint(endpoint, deps, req, res).catch(next);
  };
}

/** Declarations of one path (from different flows) become one endpoint; a method declared twice is a bug. */
function mergeByPath(endpoints: readonly Endpoint[]): Endpoint[] {
  const byPath = new Map<string, Endpoint>();
  for (const endpoint of endpoints) {
    const seen = byPath.get(endpoint.path);
    if (!seen) {
      byPath.set(endpoint.path, endpoint);
      continue;
    }
    for (const m of METHODS) {
      if (seen.methods[m] && endpoint.methods[m]) throw new Error(`${m} ${endpoint.path} is declared twice`);
    }
    byPath.set(endpoint.path, { ...seen, methods: { ...seen.methods, ...endpoint.methods } });
  }
  return [...byPath.values()];
}

async function runEndpoint(endpoint: Endpoint, deps: PipelineDeps, req: Request, res: Response): Promise<void> {
  const names = endpoint.fieldNames ?? {};
  const closed = deps.gate?.();
  if (closed) return send(res, closed);
  try {
    const principal = endpoint.authenticates === false ? null : await (endpoint.authenticate ?? deps.authenticate)(req.headers);
    // HEAD is GET without the body (node drops it).
    const method = (req.method === 'HEAD' ? 'GET' : req.method) as HttpMethod;
    const spec = Object.hasOwn(endpoint.methods, method) ? endpoint.methods[method] : undefined;
    if ((spec?.permission ?? endpoint.otherMethods ?? 'allowAny') === 'authenticated' && !principal)
      throw (endpoint.notAuthenticated ?? notAuthenticated)();
    // DRF checks throttles after permissions; those keyed by a field need the parsed body. (Awaited only when there
    // is something to await: every promise of a request costs, the log context's hooks included.)
    const throttled = spec?.throttles?.length ? await takeThrottles(deps, spec, req, 'ip') : [];
    // DRF parses lazily: a method that reads no body answers whatever was sent.
    const parsing = spec?.readsNoBody ? undefined : parseBody(req, res);
    if (parsing) await parsing;
    if (!spec) return send(res, methodNotAllowed(endpoint, req.method));
    if (spec.throttles?.length) throttled.push(...(await takeThrottles(deps, spec, req, 'field')));
    const reply = await spec.handle(endpointRequest(spec, req, principal, () => deps.metadata(req, principal), endpoint, names));
    // Scopes that count failures give back what a successful request took.
    if (reply.status < 300) for (const { scope, key } of throttled.filter((t) => t.refund)) await deps.throttles.giveBack(scope, key);
    send(res, reply);
  } catch (error) {
    const api = toApiError(error, endpoint.errors, names);
    if (!api) throw error; // body-parser errors and bugs: the app's error handler
    send(res, api);
  }
}

/** Takes the method's throttles of one kind; returns what it took. */
async function takeThrottles(deps: PipelineDeps, spec: MethodSpec | undefined, req: Request, kind: 'ip' | 'field') {
  const taken: { scope: ThrottleScope; key: string; refund: boolean }[] = [];
  for (const throttle of spec?.throttles ?? []) {
    if ((throttle.by === 'ip') !== (kind === 'ip')) continue;
    const value = throttle.by === 'ip' ? (req.ip ?? 'unknown') : (req.body as Record<string, unknown> | undefined)?.[throttle.by.field];
    // A field not sent (or not a string) is not a name anyone can guess for: the field check answers it.
    if (typeof value !== 'string' || value === '') continue;
    const key = value.trim().toLowerCase();
    await deps.throttles.take(throttle.scope, key);
    taken.push({ scope: throttle.scope, key, refund: throttle.refundOnSuccess ?? false });
  }
  return taken;
}

function endpointRequest(
  spec: MethodSpec,
  req: Request,
  principal: Principal | null,
  metadataOf: () => EventMetadata,
  endpoint: Endpoint,
  names: Endpoint['fieldNames'] & object,
): EndpointRequest<Record<string, never>> {
  const { data, errors } = spec.fields ? parseFields(spec.fields, req.body) : { data: {}, errors: {} as FieldErrors };
  if (!spec.deferFieldErrors && Object.keys(errors).length) throw new ApiError(400, errors);
  const pending: FieldErrors = { ...errors };
  const raw = req.body;
  // Built when a handler asks (a read such as users/me/ needs neither).
  let url: URL | undefined;
  let metadata: EventMetadata | undefined;
  return {
    method: req.method as HttpMethod,
    principal,
    body: data as never,
    rawBody: typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {},
    params: req.params as Record<string, string>,
    get url() {
      return (url ??= new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`));
    },
    headers: req.headers,
    get metadata() {
      return (metadata ??= metadataOf());
    },
    user() {
      if (!principal) throw notAuthenticated();
      return principal;
    },
    async check(work) {
      try {
        return await work;
      } catch (error) {
        const api = toApiError(error, endpoint.errors, names);
        if (!api || !isFieldErrors(api)) throw error;
        for (const [field, messages] of Object.entries(api.body)) (pending[field] ??= []).push(...messages);
        return undefined;
      }
    },
    fieldError(field, message) {
      (pending[field] ??= []).push(message);
    },
    assertValid() {
      if (Object.keys(pending).length)
        throw new ApiError(400, inFieldOrder([...Object.keys(spec.fields ?? {}), ...Object.keys(pending)], pending));
    },
  };
}

function methodNotAllowed(endpoint: Endpoint, method: string): Reply {
  const declared = METHODS.filter((m) => endpoint.methods[m]);
  const allow = [...declared, ...(declared.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
  if (method === 'OPTIONS') return { status: 200, body: {}, headers: { Allow: allow } };
  return { status: 405, body: { detail: `Method "${method}" not allowed.` }, headers: { Allow: allow } };
}

/** Writes a reply as express's res.json() would (its ETag is off, so nothing else of res.send() applies). */
function send(res: Response, reply: Reply | ApiError): void {
  res.statusCode = reply.status;
  if (reply.headers) for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  if (reply.body === undefined) return void res.end();
  const body = JSON.stringify(reply.body);
  if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

// DRF parses JSON and form bodies; any other body is a 415. Bodies are parsed only after authentication and
// permissions, as DRF parses them lazily.
const json = express.json({ limit: BODY_LIMIT, strict: false, type: 'application/json' });
const form = express.urlencoded({ limit: BODY_LIMIT, extended: false, type: 'application/x-www-form-urlencoded' });
const run = (middleware: RequestHandler, req: Request, res: Response) =>
  new Promise<void>((resolve, reject) => middleware(req, res, (error?: unknown) => (error ? reject(error) : resolve())));

/** Parses the body; undefined (nothing to await) when there is none. */
function parseBody(req: Request, res: Response): Promise<void> | undefined {
  // No body at all (a GET, most of the time; type-is's test: Content-Length: 0 is an empty body, parsed to {}): what
  // the parsers would leave, without running them.
  if (req.headers['transfer-encoding'] === undefined && Number.isNaN(Number(req.headers['content-length']))) {
    if (!Reflect.has(req, 'body')) req.body = undefined;
    return undefined;
  }
  // A body of some bytes must be of a type DRF parses (an empty one is not checked).
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is(['application/json', 'application/x-www-form-urlencoded'])) {
    throw detail(415, `Unsupported media type "${req.headers['content-type'] ?? ''}" in request.`);
  }
  return run(json, req, res).then(() => run(form, req, res));
}
