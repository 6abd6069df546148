// How `authstream audit` prints lines: NDJSON (one JSON object per line), CSV (RFC 4180: a header, CRLF between
// records, fields with a comma, quote, CR or LF quoted and quotes doubled) or a table for a terminal. What is printed
// comes from the client in part (user agents, names): control characters never reach the terminal raw, and a CSV
// cell that a spreadsheet would take for a formula (=, +, -, @, tab, CR first) is prefixed with an apostrophe.
import type { AuditLine, UnknownLoginLine } from './audit.js';

export type Format = 'json' | 'csv' | 'table';

export interface Column<L> {
  readonly header: string;
  readonly value: (line: L) => string;
}

export interface Layout<L> {
  /** The table's columns: the last one is cut to the terminal's width. */
  readonly table: readonly Column<L>[];
  /** The CSV's columns: every field of the line. */
  readonly csv: readonly Column<L>[];
}

export interface Sink<L> {
  write(line: L): void;
  /** Flushes what is buffered (a table is laid out once its widths are known). */
  end(): void;
}

const C1_AND_DEL = /[\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const hex = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** JSON.stringify, with DEL and the C1 controls escaped too (JSON escapes only those below U+0020). */
export const jsonLine = (value: unknown): string => JSON.stringify(value).replace(C1_AND_DEL, hex);

/** A CSV field: neutralised if a spreadsheet would run it, quoted where RFC 4180 requires. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Text for a terminal cell: control characters shown escaped, never sent raw. */
const cell = (value: string): string => value.replace(CONTROL, hex);

export function createSink<L>(format: Format, layout: Layout<L>, out: (line: string) => void, width = 160): Sink<L> {
  if (format === 'json') return { write: (line) => out(jsonLine(line)), end: () => undefined };
  if (format === 'csv') {
    // `out` ends each record with LF: with the CR here, records end with CRLF as RFC 4180 says.
    const record = (fields: string[]) => out(`${fields.map(csvField).join(',')}\r`);
    record(layout.csv.map((c) => c.header));
    return { write: (line) => record(layout.csv.map((c) => c.value(line))), end: () => undefined };
  }
  const rows: string[][] = [];
  return {
    write: (line) => void rows.push(layout.table.map((c) => cell(c.value(line)))),
    end() {
      const headers = layout.table.map((c) => c.header.toUpperCase());
      const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const print = (r: string[]) => {
        const text = r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
        out(text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text);
      };
      print(headers);
      rows.forEach(print);
    },
  };
}

const text = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** `reason=set username=alice2`: the public data but the fields every event has. */
export function summary(data: Record<string, unknown>): string {
  return Object.entries(data)
    .filter(([k]) => k !== 'v' && k !== 'userId' && k !== 'at')
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/[\s"]/.test(v) && v !== '' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export const auditLayout: Layout<AuditLine> = {
  table: [
    { header: 'time', value: (l) => l.recorded },
    { header: 'account', value: (l) => l.userId },
    { header: 'type', value: (l) => l.type },
    { header: 'actor', value: (l) => text(l.metadata.actor) },
    { header: 'ip', value: (l) => text(l.metadata.ip) },
    { header: 'summary', value: (l) => summary(l.data) },
  ],
  csv: [
    { header: 'recorded', value: (l) => l.recorded },
    { header: 'account', value: (l) => l.userId },
    { header: 'revision', value: (l) => String(l.revision) },
    { header: 'position', value: (l) => l.position },
    { header: 'event_id', value: (l) => l.eventId },
    { header: 'type', value: (l) => l.type },
    { header: 'actor', value: (l) => text(l.metadata.actor) },
    { header: 'ip', value: (l) => text(l.metadata.ip) },
    { header: 'user_agent', value: (l) => text(l.metadata.userAgent) },
    { header: 'correlation_id', value: (l) => text(l.metadata.correlationId) },
    { header: 'schema_version', value: (l) => text(l.metadata.schemaVersion) },
    { header: 'data', value: (l) => jsonLine(l.data) },
  ],
};

export const unknownLoginLayout: Layout<UnknownLoginLine> = {
  table: [
    { header: 'time', value: (l) => l.recorded },
    { header: 'method', value: (l) => text(l.data.method) },
    { header: 'field', value: (l) => text(l.data.field) },
    { header: 'login (keyed hash)', value: (l) => text(l.data.login) },
    { header: 'length', value: (l) => text(l.data.length) },
    { header: 'ip', value: (l) => text(l.metadata.ip) },
    { header: 'user agent', value: (l) => text(l.metadata.userAgent) },
  ],
  csv: [
    { header: 'recorded', value: (l) => l.recorded },
    { header: 'position', value: (l) => l.position },
    { header: 'event_id', value: (l) => l.eventId },
    { header: 'method', value: (l) => text(l.data.method) },
    { header: 'field', value: (l) => text(l.data.field) },
    { header: 'login_hash', value: (l) => text(l.data.login) },
    { header: 'length', value: (l) => text(l.data.length) },
    { header: 'ip', value: (l) => text(l.metadata.ip) },
    { header: 'user_agent', value: (l) => text(l.metadata.userAgent) },
    { header: 'correlation_id', value: (l) => text(l.metadata.correlationId) },
  ],
};
