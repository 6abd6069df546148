// Version 1 of the log, read only: to open, check and migrate logs written before version 2. It had no file header,
// and records [u32 BE payload length][u32 BE CRC-32 of the payload][payload: JSON {s: stream, r: first revision,
// p: first position (decimal strings), t: ISO time, e: [{id, type, data, metadata}]}]. Its length field is not
// checksummed, hence the extra care below.
import { crc32 } from 'node:zlib';
import { MAX_BODY_BYTES, type Codec, type Probe, type ProblemKind } from './format.js';

const problem = (kind: ProblemKind, extent: number, detail: string): Probe => ({ kind: 'problem', problem: kind, extent, detail });

interface V1Payload {
  s: string;
  r: string;
  p: string;
  t: string;
  e: { id: string; type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }[];
}

const V1_HEADER_BYTES = 8;
const V1_PAYLOAD_START = Buffer.from('{"s":"');

function parseV1(payload: Buffer): V1Payload | undefined {
  try {
    const p = JSON.parse(payload.toString('utf8')) as V1Payload;
    const decimal = /^(0|[1-9][0-9]{0,14})$/;
    if (typeof p.s !== 'string' || typeof p.t !== 'string' || !decimal.test(p.r) || !decimal.test(p.p)) return undefined;
    if (!Array.isArray(p.e) || p.e.length === 0) return undefined;
    return p;
  } catch {
    return undefined;
  }
}

export const v1: Codec = {
  version: 1,
  dataStart: 0,

  probe(buf, at, avail, remaining) {
    if (remaining < V1_HEADER_BYTES) {
      if (avail < remaining) return { kind: 'more', need: remaining };
      return problem('incomplete-header', V1_HEADER_BYTES, `the file ends ${remaining} bytes into a record header`);
    }
    if (avail < V1_HEADER_BYTES) return { kind: 'more', need: V1_HEADER_BYTES };
    const payloadLength = buf.readUInt32BE(at);
    if (payloadLength === 0 || payloadLength > MAX_BODY_BYTES) {
      return problem('bad-header', V1_HEADER_BYTES, `impossible record length ${payloadLength}`);
    }
    const length = V1_HEADER_BYTES + payloadLength;
    if (remaining < length) return problem('incomplete-record', length, `the file ends ${remaining} bytes into a ${length}-byte record`);
    if (avail < length) return { kind: 'more', need: length };
    const payload = buf.subarray(at + V1_HEADER_BYTES, at + length);
    if (crc32(payload) !== buf.readUInt32BE(at + 4)) return problem('body-checksum', length, 'the record checksum does not match');
    const parsed = parseV1(payload);
    if (!parsed) return problem('bad-body', length, 'the record does not decode');
    return {
      kind: 'record',
      length,
      position: Number(parsed.p),
      revision: Number(parsed.r),
      count: parsed.e.length,
      streamId: Buffer.from(parsed.s),
    };
  },

  candidate(buf, from, to) {
    const i = buf.indexOf(V1_PAYLOAD_START, from + V1_HEADER_BYTES);
    return i >= 0 && i - V1_HEADER_BYTES < to ? i - V1_HEADER_BYTES : -1;
  },

  decode(buf, at, length) {
    const p = parseV1(buf.subarray(at + V1_HEADER_BYTES, at + length));
    if (!p) throw new Error('the record does not decode');
    return {
      streamId: p.s,
      position: Number(p.p),
      revision: Number(p.r),
      created: Date.parse(p.t),
      events: p.e.map((e) => ({ i: e.id, y: e.type, d: e.data, m: e.metadata })),
    };
  },

  // Version 1 cannot check its length field; but if the bytes up to the end of the file carry the record's checksum,
  // the record is whole and its length is what is damaged: not a torn write, so not to be dropped.
  wholeDespiteLength(bytes) {
    return bytes.length > V1_HEADER_BYTES && crc32(bytes.subarray(V1_HEADER_BYTES)) === bytes.readUInt32BE(4);
  },
};
