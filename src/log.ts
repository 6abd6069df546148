// Structured logs with pino: one JSON object per line on stdout (`level`, `time`, `pid`, `hostname`, `msg`, fields),
// or pino-pretty's lines with LOG_FORMAT=pretty (a devDependency: development only). Code handling a request logs
// through requestLogger(log, req) (http/access-log.ts), whose lines carry the request's `requestId` (and `userId` once
// authenticated): explicit, because an AsyncLocalStorage hooks every promise of every request (on Node 20 a twentieth
// of the throughput of GET users/me/), to serve the two places that log while a request is handled.
//
// Callers pass public data only; as a last guard every record is scrubbed before it is written: a field whose name
// marks it as a secret (password, new_password, re_password, token, refresh, access, auth_token, key, uid,
// authorization, cookie, x-csrftoken, …) is masked at any depth, and in every string (the message included) URL
// paths, queries and fragments that can carry a uid or a token, URL passwords, JWTs, `Token <key>`-style
// credentials and long hex strings (DRF keys, HMACs) are cut out.
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger as Pino } from 'pino';
import { ConfigError } from './config.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'pretty';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** A logger that can bind fields to every line it writes. */
export interface StructuredLogger extends Logger {
  child(bindings: Record<string, unknown>): StructuredLogger;
}

// ---- redaction -------------------------------------------------------------------------------------------------

export const REDACTED = '[redacted]';

/** Field names that mark a value as secret, anywhere in a record. */
const SECRET_NAME =
  /pass|secret|token|key|hash|authori[sz]ation|^auth$|cookie|csrf|session|credential|signature|jwt|^re_|^uid$|^link$|^refresh$|^access$|^code$/i;

/** Path, query or fragment of a URL that may carry link material (djoser's {uid}/{token} links, ?token=…). */
const LINKISH = /token|uid|key|activat|confirm|reset|passw|secret|signature|code=|[A-Za-z0-9_-]{16,}/i;

const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>]*)([/?#][^\s"'<>]*)?/gi;
const JWT_IN_TEXT = /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;
const CREDENTIAL_IN_TEXT = /\b(Token|Bearer|JWT|Basic)\s+[\w.~+/=-]{8,}/g;
const LONG_HEX = /\b[0-9a-f]{40,}\b/gi;

/**
 * What each pattern above needs to match (a superset: `://`, `eyJ`, a scheme name, 40 hex digits): a string with none
 * of these, as most are (the access log's method, route and request id), is left as it is after one test, not four
 * replacements.
 */
const MAY_HOLD_SECRET = /:\/\/|eyJ|Token|Bearer|JWT|Basic|[0-9a-f]{40}/i;

/** Cuts secrets out of a string: see the top of this file. */
export function redactText(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text;
  return text
    .replace(URL_IN_TEXT, (_m, scheme: string, authority: string, rest: string | undefined) => {
      const host = authority.replace(/^([^:@]*):[^@]*@/, `$1:${REDACTED}@`);
      return `${scheme}${host}${rest === undefined ? '' : LINKISH.test(rest) ? `/${REDACTED}` : rest}`;
    })
    .replace(JWT_IN_TEXT, REDACTED)
    .replace(CREDENTIAL_IN_TEXT, (_m, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(LONG_HEX, REDACTED);
}

/** SECRET_NAME's verdicts on the names seen (a few dozen field names recur on every line; bounded all the same). */
const secretNames = new Map<string, boolean>();
function isSecretName(name: string): boolean {
  let secret = secretNames.get(name);
  if (secret === undefined) {
    secret = SECRET_NAME.test(name);
    if (secretNames.size < 10_000) secretNames.set(name, secret);
  }
  return secret;
}

/**
 * A copy of `value` with secret fields masked and every string scrubbed (depth- and cycle-bounded). A cycle leads
 * back to an object on the way down, so those few are what is checked (every log line is redacted: a WeakSet a line
 * was garbage of its own).
 */
export function redact(value: unknown, depth = 0, ancestors: readonly object[] = []): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? String(value) : value;
  if (depth > 8 || ancestors.includes(value)) return '[…]';
  const path = [...ancestors, value];
  if (value instanceof Error) {
    return { type: value.name, message: redactText(value.message), ...(value.stack ? { stack: redactText(value.stack) } : {}) };
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => redact(v, depth + 1, path));
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = isSecretName(k) && v !== undefined && v !== null ? REDACTED : redact(v, depth + 1, path);
  return out;
}

// ---- loggers ---------------------------------------------------------------------------------------------------

export interface LoggerOptions {
  /** `json` (default) or `pretty` (needs the devDependency pino-pretty). */
  readonly format?: LogFormat;
  /** Where lines go; default stdout. Tests pass a function that collects them. */
  readonly write?: (line: string) => void;
}

/** pino's isoTime, formatted once per millisecond (under load several lines share one). */
function isoTimeOncePerMillisecond(): () => string {
  let last = NaN;
  let formatted = '';
  return () => {
    const now = Date.now();
    if (now !== last) {
      last = now;
      formatted = `,"time":"${new Date(now).toISOString()}"`;
    }
    return formatted;
  };
}

/** `options` may also be the `write` function alone (the original signature). */
export function createLogger(level: Level = 'info', optionsOrWrite: LoggerOptions | ((line: string) => void) = {}): StructuredLogger {
  const options: LoggerOptions = typeof optionsOrWrite === 'function' ? { write: optionsOrWrite } : optionsOrWrite;
  const pretty = options.format === 'pretty';
  const destination: DestinationStream | undefined = options.write ? { write: options.write } : pretty ? prettyStream() : undefined;
  const time = isoTimeOncePerMillisecond();
  const base = pino(
    {
      level,
      timestamp: time,
      // Records are redacted before pino sees them; its `err` serializer would only rename what redact() made.
      serializers: { err: (v: unknown) => v },
      // Level names rather than numbers in JSON ("level":"warn"); pino-pretty wants the numbers.
      ...(pretty ? {} : { formatters: { level: (label: string) => ({ level: label }) } }),
    },
    destination ?? bufferedStdout(),
  );
  // pino-pretty reads pino's own records (numeric levels): every line takes pino's path there.
  return wrap(base, pretty ? null : time);
}

/**
 * stdout through a buffer: a write per line was a tenth of the service's CPU under load (one access line per
 * request). Lines go out once 4 KB are waiting, or within 100 ms; pino flushes what is left when the process exits
 * (a crash included, a SIGKILL excepted).
 */
function bufferedStdout(): DestinationStream {
  // Buffers, not text: sonic-boom appends each line of text to the last one and measures the result in bytes, which
  // flattens the whole pending text at every line (3 KB of garbage a request at 4 KB batches); a line as a Buffer is
  // pushed to a list, joined once per write. pino gets the stream itself, so that it still flushes it at exit.
  const stream = pino.destination({ dest: 1, sync: false, minLength: 4096, contentMode: 'buffer' });
  const writeBuffer = stream.write.bind(stream) as unknown as (data: Buffer) => boolean;
  stream.write = (line: string | Buffer) => writeBuffer(typeof line === 'string' ? Buffer.from(line) : line);
  setInterval(() => {
    try {
      stream.flush();
    } catch {
      // a flush already under way, or stdout gone: the next one, or the exit's, writes the lines
    }
  }, 100).unref();
  return stream;
}

/** `,"name":` for each field name seen, the name's verdict of isSecretName included (bounded like secretNames). */
const fieldPrefixes = new Map<string, string | null>();
function fieldPrefix(name: string): string | null {
  let prefix = fieldPrefixes.get(name);
  if (prefix === undefined) {
    prefix = isSecretName(name) ? null : `,${JSON.stringify(name)}:`;
    if (fieldPrefixes.size < 10_000) fieldPrefixes.set(name, prefix);
  }
  return prefix;
}

/**
 * The JSON of a record whose values are all strings, numbers, booleans, null or undefined (the access line, nearly
 * every line), redacted as redact() would and laid out as pino would; null for any other record. pino's generic path
 * (redact's copy, then pino's serialisation) was a tenth of the CPU of a `GET users/me/`.
 */
function flatFields(fields: Record<string, unknown>): string | null {
  let json = '';
  for (const name in fields) {
    if (!Object.hasOwn(fields, name)) continue;
    const value = fields[name];
    if (value === undefined) continue;
    const kind = typeof value;
    if (value !== null && kind !== 'string' && kind !== 'number' && kind !== 'boolean') return null;
    const prefix = fieldPrefix(name);
    if (prefix === null) json += `,${JSON.stringify(name)}:${value === null ? 'null' : `"${REDACTED}"`}`;
    else json += prefix + JSON.stringify(kind === 'string' ? redactText(value as string) : value);
  }
  return json;
}

function wrap(p: Pino, time: (() => string) | null): StructuredLogger {
  // What pino writes ahead of a record's fields: the level's name, the time, pid and hostname and the child's bindings.
  const internals = p as unknown as Record<symbol, unknown>;
  const stream = internals[pino.symbols.streamSym] as { write(line: string): void };
  const chindings = internals[pino.symbols.chindingsSym] as string;
  const at = (level: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (!p.isLevelEnabled(level)) return;
    const flat = time && fields ? flatFields(fields) : null;
    if (flat === null) return p[level](fields ? (redact(fields) as object) : {}, redactText(msg));
    stream.write(`{"level":"${level}"${time!()}${chindings}${flat},"msg":${JSON.stringify(redactText(msg))}}\n`);
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (bindings) => wrap(p.child(redact(bindings) as Record<string, unknown>), time),
  };
}

function prettyStream(): DestinationStream {
  let build: (options: Record<string, unknown>) => DestinationStream;
  try {
    build = createRequire(import.meta.url)('pino-pretty') as typeof build;
  } catch {
    throw new ConfigError(
      'invalid configuration:\n  LOG_FORMAT: pretty needs the development dependency pino-pretty, which is not installed ' +
        '(production installs log JSON only: unset LOG_FORMAT or set it to json)',
    );
  }
  return build({
    colorize: Boolean(process.stdout.isTTY),
    sync: true,
    destination: 1,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}

export const silentLogger: StructuredLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
