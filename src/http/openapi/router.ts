// The API's documents and docs page, mounted beside the surfaces (under /auth/):
//   schema/                the OpenAPI 3.1 document (JSON; `?format=yaml` for YAML)
//   asyncapi.json          the AsyncAPI 3 document of the published events (`?format=yaml` too)
//   docs/                  Swagger UI over schema/, its assets served from the installed swagger-ui-dist: no CDN
// Both documents are generated from the app's own declarations on first request and kept for the app's lifetime.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type Response } from 'express';
import type { Config } from '../../config.js';
import type { Surface } from './document.js';

export interface DocsOptions {
  readonly config: Pick<Config, 'AUTH_HEADER_TYPES' | 'AMQP_EXCHANGE'>;
  /** The REST surfaces the OpenAPI document describes. */
  readonly surfaces: readonly Surface[];
  /** Whether requests can be throttled (a 429 on every operation). */
  readonly throttled?: boolean;
}

/** The files of swagger-ui-dist the page uses (its own index.html points at the petstore: not served). */
const ASSETS = new Set([
  'swagger-ui.css',
  'swagger-ui.css.map',
  'swagger-ui-bundle.js',
  'swagger-ui-bundle.js.map',
  'favicon-16x16.png',
  'favicon-32x32.png',
]);

const require = createRequire(import.meta.url);
let assetsDir: string | undefined;
/** Resolved from this file, so src/ (tsx) and dist/src/ (npm run build) find the same node_modules. */
const swaggerUiDir = () => (assetsDir ??= path.dirname(require.resolve('swagger-ui-dist/package.json')));

let packageVersion: string | undefined;
/** authstream's version, from the package.json above this file (in src/ and dist/src/ layouts alike). */
function version(): string {
  if (packageVersion) return packageVersion;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'authstream' && pkg.version) return (packageVersion = pkg.version);
    } catch {
      // no package.json here
    }
    if (path.dirname(dir) === dir) return (packageVersion = '0.0.0');
  }
}

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>authstream API</title>
    <link rel="stylesheet" href="swagger-ui.css">
    <link rel="stylesheet" href="docs.css">
    <link rel="icon" type="image/png" href="favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <nav class="authstream-links">
      <strong>authstream</strong>
      OpenAPI 3.1: <a href="../schema/">JSON</a> · <a href="../schema/?format=yaml">YAML</a>
      — account events, AsyncAPI 3: <a href="../asyncapi.json">JSON</a> · <a href="../asyncapi.json?format=yaml">YAML</a>
    </nav>
    <div id="swagger-ui"></div>
    <noscript>The interactive page needs JavaScript; the document itself is at <a href="../schema/">../schema/</a>.</noscript>
    <script src="swagger-ui-bundle.js"></script>
    <script src="init.js"></script>
  </body>
</html>
`;

// No inline script or style: the page works under a `script-src 'self'` Content-Security-Policy.
const INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: new URL('../schema/', window.location.href).href,
    dom_id: '#swagger-ui',
    deepLinking: true,
    // The default would send the document to validator.swagger.io: nothing leaves this service.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    defaultModelsExpandDepth: 0,
  });
});
`;

const CSS = `.authstream-links { font-family: sans-serif; font-size: 14px; padding: 10px 20px; background: #1b1b1b; color: #ddd; }
.authstream-links a { color: #8ec5ff; }
.authstream-links strong { color: #fff; margin-right: 1em; }
`;

const notFound = (res: Response) => void res.status(404).json({ detail: 'Not found.' });

/** GET (and HEAD) only, as DRF's views of the same kind answer. */
function getOnly(router: Router, route: string, handler: (req: Request, res: Response) => void) {
  router
    .route(route)
    .get(handler)
    .all((req, res) => {
      if (req.method === 'OPTIONS') return void res.set('Allow', 'GET, HEAD, OPTIONS').json({});
      res
        .status(405)
        .set('Allow', 'GET, HEAD, OPTIONS')
        .json({ detail: `Method "${req.method}" not allowed.` });
    });
}

export function docsRouter(options: DocsOptions): Router {
  const router = Router({ strict: true, caseSensitive: true });
  // The documents are built at their first request, and their builders loaded then: not at every start.
  const cache = new Map<string, string>();
  const openapi = async () =>
    (await import('./document.js')).buildOpenApi({
      surfaces: options.surfaces,
      version: version(),
      title: 'authstream',
      description:
        "djoser's REST API. Authenticate with `Authorization: Token <auth_token>` (from token/login/) or " +
        '`Authorization: Bearer <access>` (from jwt/create/). Errors are DRF\'s: `{"field": ["message"]}` for ' +
        'validation, `{"detail": "message"}` otherwise. Account events are published as described by the AsyncAPI ' +
        'document (asyncapi.json beside this one).',
      jwtHeaderTypes: options.config.AUTH_HEADER_TYPES,
      throttled: options.throttled ?? false,
    });
  const asyncapi = async () =>
    (await import('../../amqp/asyncapi.js')).buildAsyncApi({ exchange: options.config.AMQP_EXCHANGE, version: version() });

  /** One document as JSON or (`?format=yaml`) YAML; any other format is DRF's 404 for an unknown format. */
  const serve = (name: string, build: () => Promise<unknown>) => async (req: Request, res: Response) => {
    const format = req.query.format ?? 'json';
    if (format !== 'json' && format !== 'yaml') return notFound(res);
    let json = cache.get(`${name}.json`);
    if (json === undefined) cache.set(`${name}.json`, (json = JSON.stringify(await build())));
    if (format === 'json') return void res.type('application/json; charset=utf-8').send(json);
    let yaml = cache.get(`${name}.yaml`);
    if (yaml === undefined) {
      const { stringify } = await import('yaml');
      cache.set(`${name}.yaml`, (yaml = stringify(JSON.parse(json), { aliasDuplicateObjects: false })));
    }
    res.type('application/yaml; charset=utf-8').send(yaml);
  };

  getOnly(router, '/schema/', serve('openapi', openapi));
  getOnly(router, '/asyncapi.json', serve('asyncapi', asyncapi));
  router.get('/docs', (req, res) => res.redirect(301, `${req.baseUrl}/docs/`));
  getOnly(router, '/docs/', (_req, res) => void res.type('text/html; charset=utf-8').send(PAGE));
  getOnly(router, '/docs/init.js', (_req, res) => void res.type('text/javascript; charset=utf-8').send(INIT));
  getOnly(router, '/docs/docs.css', (_req, res) => void res.type('text/css; charset=utf-8').send(CSS));
  getOnly(router, '/docs/:asset', (req, res) => {
    const asset = String(req.params.asset);
    if (!ASSETS.has(asset)) return notFound(res);
    // Cache-Control is the app's to set (no-store under /auth/).
    res.sendFile(path.join(swaggerUiDir(), asset), { cacheControl: false }, (error) => {
      if (error && !res.headersSent) notFound(res);
    });
  });
  return router;
}
