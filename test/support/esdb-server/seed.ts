// What a freshly started EventStoreDB already holds in $all before any client writes: system events
// ($-types in $-streams, metadata in $$-streams), some of them binary. Adapters must never hand these out.
import { randomUUID } from 'node:crypto';
import type { MemoryLog } from './log.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

const SYSTEM_EVENTS: readonly { stream: string; type: string; data: Uint8Array; contentType?: string }[] = [
  { stream: '$epoch-information', type: '$epoch-information', data: json({ epochNumber: 0 }) },
  { stream: '$$$scavenges', type: '$metadata', data: json({ $maxAge: 2592000 }) },
  { stream: '$users', type: '$User', data: json({ loginName: 'admin' }) },
  { stream: '$user-admin', type: '$user', data: json({ loginName: 'admin', fullName: 'Event Store Administrator' }) },
  { stream: '$projections-$all', type: '$ProjectionsInitialized', data: new Uint8Array(), contentType: 'application/octet-stream' },
  { stream: '$$$stats-127.0.0.1:2113', type: '$metadata', data: json({ $maxAge: 86400 }) },
  { stream: '$stats-127.0.0.1:2113', type: '$statsCollected', data: json({ 'proc-mem': 1 }) },
  { stream: '$scavenges', type: '$scavengeStarted', data: Uint8Array.of(0, 1, 2), contentType: 'application/octet-stream' },
];

export function seedSystemEvents(log: MemoryLog): void {
  for (const e of SYSTEM_EVENTS) {
    const event = {
      id: randomUUID(),
      type: e.type,
      contentType: e.contentType ?? 'application/json',
      data: e.data,
      customMetadata: new Uint8Array(),
    };
    log.append(e.stream, [event], { kind: 'any' });
  }
}
