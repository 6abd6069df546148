// The observability endpoints, the same on the API's port and on a worker's:
//   GET /health         what each role reports (positions, bus state), always 200 while the process serves (as before)
//   GET /health/alive   200 while the process serves
//   GET /health/ready   200 when every readiness check passes, else 503 naming each failed one and why (health.ts)
//   GET /metrics        only with METRICS_TOKEN, behind `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise);
//                       without it 404, like any unknown path. METRICS_PORT serves it without a token on a listener
//                       of its own (metricsServer).
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Router } from 'express';
import type { Readiness } from './health.js';
import { metricsText } from './metrics.js';

export interface ObservabilityDeps {
  /** The body of GET /health. */
  readonly health?: () => Record<string, unknown>;
  /** GET /health/ready's checks; without it, ready answers as alive. */
  readonly ready?: () => Promise<Readiness>;
  /** Serves /metrics behind this bearer token. */
  readonly metricsToken?: string | undefined;
}

export function observabilityRouter(deps: ObservabilityDeps): Router {
  const router = Router({ strict: true, caseSensitive: true });
  const noStore = { 'Cache-Control': 'no-store' };
  if (deps.health) {
    const health = deps.health;
    for (const path of ['/health', '/health/']) router.get(path, (_req, res) => void res.set(noStore).json(health()));
  }
  router.get('/health/alive', (_req, res) => void res.set(noStore).json({ status: 'ok' }));
  router.get('/health/ready', async (_req, res, next) => {
    try {
      const ready: Readiness = deps.ready ? await deps.ready() : { status: 'ok', failed: [], checks: {} };
      res
        .status(ready.status === 'ok' ? 200 : 503)
        .set(noStore)
        .json(ready);
    } catch (error) {
      next(error);
    }
  });
  if (deps.metricsToken) {
    const expected = digest(deps.metricsToken);
    router.get('/metrics', async (req, res, next) => {
      const sent = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '')?.[1];
      // Compared as digests: constant time, whatever the lengths.
      if (sent === undefined || !timingSafeEqual(digest(sent), expected)) {
        return void res
          .status(401)
          .set({ 'WWW-Authenticate': 'Bearer realm="metrics"', ...noStore })
          .json({ detail: sent === undefined ? 'Authentication credentials were not provided.' : 'Invalid token.' });
      }
      try {
        const { contentType, body } = await metricsText();
        res
          .status(200)
          .set({ 'Content-Type': contentType, ...noStore })
          .send(body);
      } catch (error) {
        next(error);
      }
    });
  }
  return router;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** The METRICS_PORT listener: GET /metrics without a token, 404 for anything else. */
export function metricsServer(): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if ((req.method !== 'GET' && req.method !== 'HEAD') || path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ detail: 'Not found.' }));
      return;
    }
    metricsText().then(
      ({ contentType, body }) =>
        res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body),
      (error: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`),
    );
  });
}
