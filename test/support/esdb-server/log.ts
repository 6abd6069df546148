// The in-memory log behind the test server: streams, $all and the append rules of EventStoreDB.
// Positions imitate a transaction file: byte offsets that grow with each record, and every event of one append
// shares the commit position (the offset of its first record) while its prepare position is its own offset.

export interface StoredEvent {
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly streamId: string;
  readonly revision: bigint;
  readonly commit: bigint;
  readonly prepare: bigint;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
  /** 100 ns ticks since the Unix epoch, as the server sends `created`. */
  readonly createdTicks: bigint;
}

export interface ProposedEvent {
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
}

export type Expected =
  | { readonly kind: 'any' }
  | { readonly kind: 'no_stream' }
  | { readonly kind: 'stream_exists' }
  | { readonly kind: 'revision'; readonly revision: bigint };

/** `current` is the stream's last revision, undefined when it does not exist. */
export type AppendOutcome =
  | { readonly ok: true; readonly current: bigint | undefined; readonly last: StoredEvent | undefined }
  | { readonly ok: false; readonly current: bigint | undefined };

export type LogListener = (appended: readonly StoredEvent[]) => void;

export function comparePosition(a: StoredEvent, commit: bigint, prepare: bigint): number {
  if (a.commit !== commit) return a.commit < commit ? -1 : 1;
  if (a.prepare !== prepare) return a.prepare < prepare ? -1 : 1;
  return 0;
}

export class MemoryLog {
  readonly all: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly listeners = new Set<LogListener>();

  constructor(private nextOffset: bigint) {}

  stream(streamId: string): readonly StoredEvent[] | undefined {
    return this.streams.get(streamId);
  }

  listen(listener: LogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(streamId: string, proposed: readonly ProposedEvent[], expected: Expected): AppendOutcome {
    const existing = this.streams.get(streamId) ?? [];
    const current = existing.length ? BigInt(existing.length - 1) : undefined;
    const replay = idempotentReplay(existing, proposed, expected);
    if (replay) return { ok: true, current, last: replay };
    if (!expectationHolds(expected, current)) return { ok: false, current };
    if (proposed.length === 0) return { ok: true, current, last: existing.at(-1) };

    const commit = this.nextOffset;
    const createdTicks = BigInt(Date.now()) * 10_000n;
    const appended = proposed.map((event, i): StoredEvent => {
      const prepare = this.nextOffset;
      // A record's size: a header plus its payload, so offsets look like a real transaction file's.
      this.nextOffset += 88n + BigInt(event.data.length + event.customMetadata.length + streamId.length + event.type.length);
      return { ...event, streamId, revision: BigInt(existing.length + i), commit, prepare, createdTicks };
    });
    this.streams.set(streamId, [...existing, ...appended]);
    this.all.push(...appended);
    for (const listener of this.listeners) listener(appended);
    return { ok: true, current: BigInt(existing.length + appended.length - 1), last: appended.at(-1) };
  }
}

function expectationHolds(expected: Expected, current: bigint | undefined): boolean {
  switch (expected.kind) {
    case 'any':
      return true;
    case 'no_stream':
      return current === undefined;
    case 'stream_exists':
      return current !== undefined;
    case 'revision':
      return current === expected.revision;
  }
}

/**
 * EventStoreDB makes a retried append a no-op: when the proposed ids are already in the stream right after the
 * expected revision (or, with any/stream_exists, wherever the first id sits), it reports success without writing.
 * Returns the last already-written event of such a replay.
 */
function idempotentReplay(
  existing: readonly StoredEvent[],
  proposed: readonly ProposedEvent[],
  expected: Expected,
): StoredEvent | undefined {
  const first = proposed[0];
  if (!first) return undefined;
  let start: number;
  if (expected.kind === 'revision') start = Number(expected.revision) + 1;
  else if (expected.kind === 'no_stream') start = 0;
  else start = existing.findIndex((e) => e.id === first.id);
  if (start < 0 || start + proposed.length > existing.length) return undefined;
  const same = proposed.every((p, i) => existing[start + i]?.id === p.id);
  return same ? existing[start + proposed.length - 1] : undefined;
}
