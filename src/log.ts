// Structured logs: one JSON line per record on stderr. Callers pass public data only; as a last guard, fields whose
// names mark them as secrets are masked.
export type Level = 'debug' | 'info' | 'warn' | 'error';
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET = /pass|secret|token|key|hash|authorization/i;

function mask(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, SECRET.test(k) ? '[redacted]' : v]));
}

export function createLogger(minLevel: Level = 'info', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const at =
    (level: Level) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      if (order[level] < order[minLevel]) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...mask(fields) })}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
