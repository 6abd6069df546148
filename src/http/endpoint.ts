// One declaration per endpoint: its path, and per method the permission, the request fields and the handler. The
// pipeline (pipeline.ts) turns a list of them into routes that follow DRF's order. A REST surface is such a list.
import type { IncomingHttpHeaders } from 'node:http';
import type { EventMetadata } from '../commands/command-handler.js';
import type { Authenticator, Principal } from './authenticate.js';
import type { ApiError, ErrorTable, FieldNames } from './errors.js';
import type { ThrottleScope } from '../config.js';
import type { Fields, Parsed } from './fields.js';
import type { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** DRF's AllowAny and IsAuthenticated; object-level rules (CurrentUserOrAdmin) belong to the handler. */
export type Permission = 'allowAny' | 'authenticated';

export interface Reply {
  readonly status: number;
  /** JSON body; undefined sends none. */
  readonly body?: unknown;
  /** A list sends the header once per value (Set-Cookie). */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

export interface EndpointRequest<F extends Fields> {
  readonly method: HttpMethod;
  readonly principal: Principal | null;
  /** The declared fields that parsed. */
  readonly body: Partial<Parsed<F>>;
  /** The body as sent, for values DRF reads raw (uid and token of reset_username_confirm). */
  readonly rawBody: Readonly<Record<string, unknown>>;
  readonly params: Readonly<Record<string, string>>;
  /** The request's absolute URL (DRF's build_absolute_uri), query included. */
  readonly url: URL;
  /** The request's headers (cookies, for the surfaces that read them). */
  readonly headers: IncomingHttpHeaders;
  /** Stored with every event the request causes: correlation id, actor, client. */
  readonly metadata: EventMetadata;
  /** The principal, for methods whose permission requires one. */
  user(): Principal;
  /**
   * Awaits a field-level check (DRF's validate_<field>, a unique validator): a field error it fails with is collected
   * with the other field errors instead of thrown.
   */
  check<T>(work: Promise<T>): Promise<T | undefined>;
  /** Adds a field error to those collected (a field required only in some cases). */
  fieldError(field: string, message: string): void;
  /** Throws every field error collected so far (with deferFieldErrors). */
  assertValid(): void;
}

export interface MethodSpec<F extends Fields = Fields> {
  readonly permission: Permission;
  readonly fields?: F;
  /** Hand field errors to the handler, which runs its field-level checks and then calls assertValid(). */
  readonly deferFieldErrors?: boolean;
  readonly handle: (request: EndpointRequest<F>) => Promise<Reply>;
  /** DRF's throttles of this method: a scope, keyed by the client's IP or by a field's value. */
  readonly throttles?: readonly ThrottleSpec[];
  /** The method never reads the body, so DRF never parses it: no 415 or 400 for what was sent. */
  readonly readsNoBody?: boolean;
  /** What the OpenAPI document (src/http/openapi/) says about this method; it changes no behaviour. */
  readonly doc?: MethodDoc;
}

/** OpenAPI documentation of one method. Every part is optional; the rest is derived from the declaration. */
export interface MethodDoc {
  readonly summary?: string;
  readonly description?: string;
  /** Default: the endpoint's tags, else the path's first segment. */
  readonly tags?: readonly string[];
  /** Default: derived from path and method as drf-spectacular does (users_me_partial_update). */
  readonly operationId?: string;
  /**
   * Responses by status. A success (1xx–3xx) gives its description and body schema (none: no body); an error status
   * names when it happens, with the shared DRF error body of that status unless `body` replaces it. Statuses the
   * declaration implies (400 for fields, 401 for a permission, 415, 503) are added anyway.
   */
  readonly responses?: Readonly<Record<number, ResponseDoc>>;
}

export interface ResponseDoc {
  readonly description: string;
  /** The JSON body's schema (its output side is documented). */
  readonly body?: z.ZodType;
}

export interface ThrottleSpec {
  readonly scope: ThrottleScope;
  readonly by: 'ip' | { readonly field: string };
  /** Give the request back when it succeeds (scopes that count failed logins). */
  readonly refundOnSuccess?: boolean;
}

/** Infers the body type of a method from its fields. */
export const method = <F extends Fields>(spec: MethodSpec<F>): MethodSpec<F> => spec;

export interface Endpoint {
  /** As the reference's URLconf spells it, trailing slash included; `:name` for a path parameter. */
  readonly path: string;
  /** simplejwt's and DRF authtoken's URLs in djoser take the trailing slash as optional. */
  readonly optionalSlash?: boolean;
  /** simplejwt's views have no authentication classes: they never look at Authorization. Default true. */
  readonly authenticates?: boolean;
  /** The surface's own authentication classes (default: the app's, djoser's Token and JWT). */
  readonly authenticate?: Authenticator;
  /** DRF's NotAuthenticated as those classes word it (default: `Token`'s 401). */
  readonly notAuthenticated?: () => ApiError;
  /** The permission of a method it does not declare (DRF's ViewSet default). Default allowAny. */
  readonly otherMethods?: Permission;
  /** How domain errors become responses: the endpoint family's table. */
  readonly errors: ErrorTable;
  /** This endpoint's names for fields its error bodies mention, where they differ from the domain's. */
  readonly fieldNames?: FieldNames;
  /** OpenAPI documentation shared by the endpoint's methods. */
  readonly doc?: EndpointDoc;
  // Methods are checked where they are declared (method()); here any fields will do.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly methods: { readonly [M in HttpMethod]?: MethodSpec<any> };
}

/** OpenAPI documentation of an endpoint (a path). */
export interface EndpointDoc {
  readonly tags?: readonly string[];
  /** Path parameters (`:name`): a description and a schema; default a string. */
  readonly params?: Readonly<Record<string, { readonly description?: string; readonly schema?: z.ZodType }>>;
}
