// The request's path: its URL up to the query. Express's req.path parses the URL (parseurl) on every read, and the
// URL changes once a mount cuts its prefix off: two parses a request, ~3% of a `GET users/me/`, for the few hot
// places that only compare the path with a table or a prefix. A request whose target is not origin-form (an
// absolute URL, `*`) misses those tables and goes on to express's router, which parses it as before.
import type { IncomingMessage } from 'node:http';

export function requestPath(req: IncomingMessage): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
