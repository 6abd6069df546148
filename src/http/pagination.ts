// DRF's two paginators for users/: PageNumberPagination (?page=N, `page=last`) and LimitOffsetPagination
// (?limit=&offset=), with PAGE_SIZE; links absolute, built from the request's URL as DRF builds them.
import type { Config } from '../config.js';
import { detail } from './errors.js';

export interface Page {
  readonly offset: number;
  readonly limit: number;
  /** The paginated body around the results. */
  body(count: number, results: unknown[]): unknown;
}

const positiveInt = (value: string | null): number | null =>
  value !== null && /^\d+$/.test(value) && Number(value) > 0 ? Number(value) : null;

function withParams(url: URL, params: Record<string, string | null>): string {
  const next = new URL(url);
  for (const [key, value] of Object.entries(params)) {
    if (value === null) next.searchParams.delete(key);
    else next.searchParams.set(key, value);
  }
  return next.toString();
}

/** The page a request asks for; null when the configuration paginates nothing (a plain list). */
export function requestedPage(config: Config, url: URL, count: () => Promise<number>): Promise<Page | null> | Page | null {
  const size = config.PAGE_SIZE;
  if (size === undefined) return null;
  if (config.DEFAULT_PAGINATION_CLASS === 'LimitOffsetPagination') {
    const limit = positiveInt(url.searchParams.get('limit')) ?? size;
    const offset = /^\d+$/.test(url.searchParams.get('offset') ?? '') ? Number(url.searchParams.get('offset')) : 0;
    return {
      offset,
      limit,
      body: (total, results) => ({
        count: total,
        next: offset + limit < total ? withParams(url, { limit: String(limit), offset: String(offset + limit) }) : null,
        previous:
          offset <= 0 ? null : withParams(url, { limit: String(limit), offset: offset - limit <= 0 ? null : String(offset - limit) }),
        results,
      }),
    };
  }
  return count().then((total) => {
    const pages = Math.max(1, Math.ceil(total / size));
    const asked = url.searchParams.get('page');
    const number = asked === null ? 1 : asked === 'last' ? pages : positiveInt(asked);
    if (number === null || number > pages) throw detail(404, 'Invalid page.');
    return {
      offset: (number - 1) * size,
      limit: size,
      body: (counted: number, results: unknown[]) => ({
        count: counted,
        next: number < pages ? withParams(url, { page: String(number + 1) }) : null,
        previous: number <= 1 ? null : withParams(url, { page: number - 1 === 1 ? null : String(number - 1) }),
        results,
      }),
    };
  });
}
