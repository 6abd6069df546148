// The OpenAPI 3.1 document of REST surfaces, generated from the same endpoint declarations and zod field schemas that
// the pipeline validates requests with, so what is documented is what is enforced:
//   path (`:id` → `{id}`, trailing slash as declared) and methods → paths and operations;
//   a method's fields → its request body (JSON and form), each field's JSON schema from its zod schema (the field
//     builders attach type/format/maxLength as zod metadata), `required` probed by parsing a missing value;
//   permission and `authenticates` → security requirements (Token, the JWT schemes);
//   the declaration → the error responses it implies (400 with fields, 401, 404 with a path parameter, 415, 503),
//     as DRF's error bodies, shared components;
//   the optional `doc` of methods and endpoints → summaries, descriptions, tags, success bodies, further errors.
import { z } from 'zod';
import type { Endpoint, HttpMethod, MethodSpec, ResponseDoc } from '../endpoint.js';

export interface Surface {
  /** Where the surface's router is mounted, e.g. `/auth`. */
  readonly prefix: string;
  readonly endpoints: readonly Endpoint[];
}

export interface OpenApiOptions {
  readonly surfaces: readonly Surface[];
  readonly title?: string;
  readonly version: string;
  /** Markdown, shown on top of the docs page. */
  readonly description?: string;
  /** simplejwt's AUTH_HEADER_TYPES: `Bearer` is the `Bearer` http scheme, any other an Authorization apiKey scheme. */
  readonly jwtHeaderTypes?: readonly string[];
  /** Whether requests can be throttled: a 429 on every operation. */
  readonly throttled?: boolean;
}

type Json = Record<string, unknown>;

const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const BODY_TYPES = ['application/json', 'application/x-www-form-urlencoded'] as const;
const TOKEN_SCHEME = 'Token';

/** The shared error bodies and responses, as DRF answers them. */
const errorSchemas: Json = {
  Detail: {
    type: 'object',
    description: 'DRF\'s error body for anything but field validation: `{"detail": "..."}` (simplejwt adds a `code`).',
    properties: { detail: { type: 'string' }, code: { type: 'string' } },
    required: ['detail'],
  },
  FieldErrors: {
    type: 'object',
    description:
      'DRF\'s validation errors: every failing field with its messages, `{"field": ["msg", ...]}`; errors of no ' +
      'single field are under `non_field_errors`.',
    additionalProperties: { type: 'array', items: { type: 'string' } },
    example: { username: ['This field is required.'] },
  },
};

const detailContent = { 'application/json': { schema: { $ref: '#/components/schemas/Detail' } } };
const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } },
};

/** Shared responses, by the status they answer. */
const errorResponses: Record<number, { name: string; response: Json }> = {
  400: {
    name: 'ValidationError',
    response: {
      description: 'The request did not validate: field errors, or `{"detail": ...}` for a body that does not parse.',
      content: {
        'application/json': {
          schema: { anyOf: [{ $ref: '#/components/schemas/FieldErrors' }, { $ref: '#/components/schemas/Detail' }] },
        },
      },
    },
  },
  401: {
    name: 'NotAuthenticated',
    response: {
      description: 'No credentials, or bad ones (`{"detail": "Invalid token."}`); `WWW-Authenticate` names the scheme.',
      headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
      content: detailContent,
    },
  },
  403: { name: 'PermissionDenied', response: { description: 'Not allowed.', content: detailContent } },
  404: { name: 'NotFound', response: { description: 'Not found: `{"detail": "Not found."}`.', content: detailContent } },
  405: {
    name: 'MethodNotAllowed',
    response: {
      description: 'The path does not take this method (`Allow` lists those it does).',
      headers: { Allow: { schema: { type: 'string' } } },
      content: detailContent,
    },
  },
  413: { name: 'PayloadTooLarge', response: { description: 'The body is over 100 kB.', content: detailContent } },
  415: {
    name: 'UnsupportedMediaType',
    response: { description: 'The body is neither JSON nor form-encoded.', content: detailContent },
  },
  429: {
    name: 'Throttled',
    response: {
      description: 'Too many requests: `{"detail": "Request was throttled. ..."}`.',
      headers: retryAfter,
      content: detailContent,
    },
  },
  503: {
    name: 'ServiceUnavailable',
    response: {
      description:
        'The write was saved but is not visible yet, or the account is being changed by other requests: try again ' +
        'after `Retry-After`.',
      headers: retryAfter,
      content: detailContent,
    },
  },
};

/** `/users/:id/` → `/users/{id}/` and the parameter names. */
export function openApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const converted = path.replace(/[:*]([A-Za-z_$][\w$]*)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: converted, params };
}

/**
 * drf-spectacular's operation ids: the path's words and the ViewSet action (users_me_partial_update). GET is `list` on
 * a collection, a path that some declared path extends with a parameter (users/ beside users/:id/), else `retrieve`.
 */
function defaultOperationId(path: string, method: HttpMethod, paths: readonly string[]): string {
  const words = path
    .split('/')
    .filter((s) => s && !/^[:*{]/.test(s))
    .map((s) => s.replace(/[^A-Za-z0-9]+/g, '_'));
  const collection = paths.some((p) => p.startsWith(path) && /^[:*]/.test(p.slice(path.length)));
  const get = collection ? 'list' : 'retrieve';
  const action = { GET: get, POST: 'create', PUT: 'update', PATCH: 'partial_update', DELETE: 'destroy' }[method];
  return [...words, action].join('_');
}

const pascal = (id: string) => id.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _s, c: string) => c.toUpperCase());

/** Whether a field answers "This field is required." when absent: the validator itself says so. */
function isRequired(field: z.ZodType): boolean {
  try {
    return !field.safeParse(undefined).success;
  } catch {
    return false; // an async field: it can only be checked by the handler
  }
}

/** Builds the document. Pure: the same declarations give the same document. */
export function buildOpenApi(options: OpenApiOptions): Json {
  const schemas: Json = { ...errorSchemas };
  const responses: Json = Object.fromEntries(Object.values(errorResponses).map((r) => [r.name, r.response]));
  const paths: Record<string, Json> = {};
  const operationIds = new Set<string>();
  const tags = new Set<string>();

  const jwtSchemes = new Map<string, Json>();
  for (const type of options.jwtHeaderTypes ?? ['Bearer']) {
    if (type === 'Bearer') {
      jwtSchemes.set('Bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from jwt/create/.' });
    } else if (type !== TOKEN_SCHEME) {
      jwtSchemes.set(type, {
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        description: `\`${type} <access token>\`, the access token from jwt/create/.`,
      });
    }
  }

  /** A zod schema as JSON schema, its `$defs` moved to the components (ids kept, or made unique). */
  const jsonSchema = (schema: z.ZodType, io: 'input' | 'output', name: string): Json => {
    const converted = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Json;
    const { $schema: _dialect, $defs, ...root } = converted;
    const renames = new Map<string, string>();
    const unique = (wanted: string, value: unknown) => {
      let candidate = wanted.replace(/[^A-Za-z0-9._-]/g, '_');
      for (let n = 2; candidate in schemas && JSON.stringify(schemas[candidate]) !== JSON.stringify(value); n++) {
        candidate = `${wanted}_${n}`;
      }
      return candidate;
    };
    const defs = ($defs ?? {}) as Record<string, unknown>;
    for (const [id, def] of Object.entries(defs)) renames.set(`#/$defs/${id}`, unique(id, def));
    // A recursive schema refers to its root as `#`, which inside this document would be the document itself.
    const recursive = JSON.stringify(root).includes('"$ref":"#"');
    if (recursive) renames.set('#', unique(name, root));
    const rewrite = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (typeof value !== 'object' || value === null) return value;
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) =>
          k === '$ref' && typeof v === 'string' && renames.has(v) ? [k, `#/components/schemas/${renames.get(v)}`] : [k, rewrite(v)],
        ),
      );
    };
    for (const [id, def] of Object.entries(defs)) schemas[renames.get(`#/$defs/${id}`)!] = rewrite(def);
    if (!recursive) return rewrite(root) as Json;
    schemas[renames.get('#')!] = rewrite(root);
    return { $ref: `#/components/schemas/${renames.get('#')}` };
  };

  const requestBody = (fields: Readonly<Record<string, z.ZodType>>, operationId: string): Json => {
    const name = `${pascal(operationId)}Request`;
    const properties: Json = {};
    const required: string[] = [];
    for (const [field, schema] of Object.entries(fields)) {
      properties[field] = jsonSchema(schema, 'input', `${name}_${field}`);
      if (isRequired(schema)) required.push(field);
    }
    schemas[name] = { type: 'object', properties, ...(required.length ? { required } : {}) };
    const ref = { schema: { $ref: `#/components/schemas/${name}` } };
    return { required: required.length > 0, content: Object.fromEntries(BODY_TYPES.map((type) => [type, ref])) };
  };

  const security = (endpoint: Endpoint, spec: MethodSpec): Json[] => {
    if (endpoint.authenticates === false) return [];
    const schemes = [TOKEN_SCHEME, ...jwtSchemes.keys()].map((name) => ({ [name]: [] }));
    // AllowAny: anonymous is fine, but a credential that is sent is checked (a bad one is a 401).
    return spec.permission === 'authenticated' ? schemes : [...schemes, {}];
  };

  const response = (status: number, doc: ResponseDoc | undefined, operationId: string): Json => {
    const shared = errorResponses[status];
    if (doc?.body) {
      return {
        description: doc.description,
        content: { 'application/json': { schema: jsonSchema(doc.body, 'output', `${pascal(operationId)}Response${status}`) } },
      };
    }
    if (shared && !doc) return { $ref: `#/components/responses/${shared.name}` };
    if (shared && status >= 400) return { ...shared.response, description: doc!.description };
    return { description: doc?.description ?? 'Success.' };
  };

  const operation = (surface: Surface, endpoint: Endpoint, m: HttpMethod, spec: MethodSpec, params: string[]): Json => {
    const doc = spec.doc ?? {};
    const wanted =
      doc.operationId ??
      defaultOperationId(
        endpoint.path,
        m,
        surface.endpoints.map((e) => e.path),
      );
    let operationId = wanted;
    for (let n = 2; operationIds.has(operationId); n++) operationId = `${wanted}_${n}`;
    operationIds.add(operationId);
    const firstSegment = endpoint.path.split('/').find(Boolean) ?? surface.prefix.replace(/^\//, '');
    const opTags = [...(doc.tags ?? endpoint.doc?.tags ?? [firstSegment])];
    for (const tag of opTags) tags.add(tag);
    const fields = spec.fields && Object.keys(spec.fields).length ? spec.fields : undefined;

    const documented = Object.entries(doc.responses ?? {}).map(([s, r]) => [Number(s), r] as const);
    const implied = new Set<number>();
    if (fields) [400, 415].forEach((s) => implied.add(s));
    if (spec.permission === 'authenticated' || endpoint.authenticates !== false) implied.add(401);
    if (params.length) implied.add(404);
    if (options.throttled) implied.add(429);
    if (m !== 'GET') implied.add(503);
    const byStatus = new Map<number, ResponseDoc | undefined>([...implied].map((s) => [s, undefined]));
    for (const [status, r] of documented) byStatus.set(status, r);
    if (!documented.some(([s]) => s < 400)) byStatus.set(0, undefined);
    const responsesOut = Object.fromEntries(
      [...byStatus.entries()]
        .sort(([a], [b]) => a - b)
        .map(([status, r]) => (status === 0 ? ['2XX', { description: 'Success.' }] : [String(status), response(status, r, operationId)])),
    );

    const notes = [
      doc.description,
      spec.permission === 'authenticated' ? 'Requires an authenticated user.' : undefined,
      endpoint.authenticates === false ? 'Ignores the `Authorization` header.' : undefined,
      endpoint.optionalSlash ? 'The trailing slash is optional.' : undefined,
    ].filter(Boolean);
    return {
      operationId,
      tags: opTags,
      ...(doc.summary ? { summary: doc.summary } : {}),
      ...(notes.length ? { description: notes.join('\n\n') } : {}),
      ...(fields ? { requestBody: requestBody(fields, operationId) } : {}),
      security: security(endpoint, spec),
      responses: responsesOut,
    };
  };

  for (const surface of options.surfaces) {
    // Declarations of one path from different flows are one path item, as the pipeline merges them.
    const byPath = new Map<string, Endpoint[]>();
    for (const endpoint of surface.endpoints) byPath.set(endpoint.path, [...(byPath.get(endpoint.path) ?? []), endpoint]);
    for (const [declared, endpoints] of byPath) {
      const { path, params } = openApiPath(declared);
      const item: Json = {};
      const paramDocs = Object.assign({}, ...endpoints.map((e) => e.doc?.params ?? {})) as NonNullable<
        NonNullable<Endpoint['doc']>['params']
      >;
      if (params.length) {
        item.parameters = params.map((name) => ({
          name,
          in: 'path',
          required: true,
          ...(paramDocs[name]?.description ? { description: paramDocs[name].description } : {}),
          schema: paramDocs[name]?.schema ? jsonSchema(paramDocs[name].schema, 'input', `${name}Parameter`) : { type: 'string' },
        }));
      }
      for (const m of METHODS) {
        for (const endpoint of endpoints) {
          const spec = endpoint.methods[m];
          if (spec) item[m.toLowerCase()] = operation(surface, endpoint, m, spec, params);
        }
      }
      paths[`${surface.prefix}${path}`] = item;
    }
  }

  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'authstream',
      version: options.version,
      ...(options.description ? { description: options.description } : {}),
    },
    tags: [...tags].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      responses,
      securitySchemes: {
        [TOKEN_SCHEME]: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: "`Token <key>`, the `auth_token` from token/login/ (DRF's TokenAuthentication).",
        },
        ...Object.fromEntries(jwtSchemes),
      },
    },
  };
}
