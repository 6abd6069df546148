// A request under a REST surface's prefix (nearly every request the service gets) goes straight to that surface's
// handler, with what express's app router would have done on the way: its request and response prototypes, the
// app-wide middleware first, the prefix cut off into req.baseUrl, and the 404 and error handlers after. The app
// router matched each of its layers against each request, cut and restored the URL at each matching mount and made a
// final handler per request: about a tenth of the CPU of a `GET users/me/`. Any other request (health, metrics, a
// path routed ahead of the surfaces such as the JWKS document, a bare prefix without its slash) goes through the app
// router as before, over the same handlers.
import type { ErrorRequestHandler, Express, Request, RequestHandler, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SurfaceLane {
  /** The surface's mount path, without a trailing slash (`/auth`). */
  readonly prefix: string;
  /** What the app mounts at the prefix. */
  readonly handler: RequestHandler;
}

export interface SurfaceLanes {
  /** The app-wide middleware, mounted at `/` ahead of everything (security headers, access log, …). */
  readonly common: RequestHandler;
  /** Paths the app routes between the common middleware and the surfaces: a surface's prefix must not shadow them. */
  readonly routedFirst: readonly string[];
  readonly lanes: readonly SurfaceLane[];
  /** The app's last middleware and its error handler. */
  readonly notFound: RequestHandler;
  readonly onError: ErrorRequestHandler;
}

function laneOf(url: string, { routedFirst, lanes }: SurfaceLanes): SurfaceLane | undefined {
  if (routedFirst.some((path) => url.startsWith(path))) return undefined;
  for (const lane of lanes) if (url.startsWith(lane.prefix) && url[lane.prefix.length] === '/') return lane;
  return undefined;
}

/** What the router takes for an error: `route` and `router` are not (none of the surfaces' middleware uses them). */
const isError = (value: unknown) => value !== undefined && value !== null && value !== 'route' && value !== 'router';

type Handle = (req: IncomingMessage, res: ServerResponse, callback?: (error?: unknown) => void) => void;

/** Makes `app` serve its surfaces' requests by prefix (see above); the app router serves the others. */
export function withSurfaceLanes(app: Express, surfaces: SurfaceLanes): Express {
  const { common, notFound, onError } = surfaces;
  const express = app as unknown as { handle: Handle; request: object; response: object };
  const viaRouter = express.handle.bind(app);
  express.handle = (incoming, outgoing, callback) => {
    // A callback means the app is mounted inside another one: that one's router has its say.
    const lane = callback ? undefined : laneOf(incoming.url ?? '', surfaces);
    if (!lane) return viaRouter(incoming, outgoing, callback);
    const req = incoming as Request;
    const res = outgoing as Response;
    req.res = res;
    res.req = req;
    Object.setPrototypeOf(req, express.request);
    Object.setPrototypeOf(res, express.response);
    res.locals ??= Object.create(null);
    req.originalUrl = req.url;
    req.baseUrl = '';
    req.params = {};
    const url = req.url;
    const fail = (error: unknown) => onError(error, req, res, () => undefined);
    // What the router does after a mount's layer: the URL is whole again for the layers after it.
    const leave = (error?: unknown) => {
      req.baseUrl = '';
      req.url = url;
      if (isError(error)) return fail(error);
      notFound(req, res, fail);
    };
    try {
      common(req, res, (error?: unknown) => {
        if (isError(error)) return fail(error);
        req.baseUrl = lane.prefix;
        req.url = url.slice(lane.prefix.length);
        // As the router leaves it for the layer it runs (res.sendFile and res.format without a callback call it).
        req.next = leave;
        try {
          lane.handler(req, res, leave);
        } catch (thrown) {
          leave(thrown);
        }
      });
    } catch (thrown) {
      fail(thrown);
    }
  };
  return app;
}
