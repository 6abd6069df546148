// Streams.Read: a stream, $all, and $all subscriptions (catch-up, caught-up, then live), with the server-side
// filters and checkpoints of EventStoreDB. Stream subscriptions and backwards $all reads are not implemented.
import { randomUUID } from 'node:crypto';
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import type { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb.js';
import { failure } from './errors.js';
import { comparePosition, type MemoryLog, type StoredEvent } from './log.js';
import { readEvent, streamIdentifier, streamName, streamsPb } from './proto.js';

type ReadCall = ServerWritableStream<ReadReq, ReadResp>;
type Options = ReadReq.Options;
const { ReadDirection } = streamsPb.ReadReq.Options;
const { RevisionOptionCase } = streamsPb.ReadReq.Options.StreamOptions;
const { AllOptionCase } = streamsPb.ReadReq.Options.AllOptions;

/** The server's default search window; a checkpoint goes out every window × multiplier events scanned. */
const DEFAULT_WINDOW = 32;

export class Reads {
  private readonly live = new Set<{ call: ReadCall; stop(): void }>();
  /** The filter of every $all subscription received, e.g. 'eventType regex ^[^$].*' or 'none'. */
  readonly subscriptionFilters: string[] = [];

  constructor(private readonly log: MemoryLog) {}

  readonly read = (call: ReadCall): void => {
    const options = call.request.getOptions();
    if (options?.hasStream() && !options.hasSubscription()) return this.readStream(call, options);
    if (options?.hasAll() && !options.hasSubscription()) return this.readAll(call, options);
    if (options?.hasAll()) return this.subscribeToAll(call, options);
    call.emit('error', failure(status.UNIMPLEMENTED, 'the test server implements stream and $all reads and $all subscriptions only'));
  };

  /**
   * Ends every live subscription: with UNAVAILABLE, as a restarting server or a broken connection would, or
   * ('end') with a plain OK status, which a client must not mistake for a subscription that simply has no more.
   */
  dropAll(how: 'error' | 'end' = 'error'): void {
    for (const sub of this.live) {
      sub.stop();
      if (how === 'end') sub.call.end();
      else sub.call.emit('error', failure(status.UNAVAILABLE, 'subscription dropped: server restarting'));
    }
    this.live.clear();
  }

  private readStream(call: ReadCall, options: Options): void {
    const streamOptions = options.getStream()!;
    const name = streamName(streamOptions.getStreamIdentifier());
    const events = this.log.stream(name);
    if (!events) {
      const notFound = new streamsPb.ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(name));
      call.write(new streamsPb.ReadResp().setStreamNotFound(notFound));
      call.end();
      return;
    }
    const backwards = options.getReadDirection() === ReadDirection.BACKWARDS;
    const count = Number(BigInt(options.getCount()));
    let from: number;
    switch (streamOptions.getRevisionOptionCase()) {
      case RevisionOptionCase.REVISION:
        from = Number(BigInt(streamOptions.getRevision()));
        break;
      case RevisionOptionCase.END:
        from = backwards ? events.length - 1 : events.length;
        break;
      default:
        from = 0;
    }
    const selected = backwards
      ? events
          .slice(0, Math.min(from, events.length - 1) + 1)
          .reverse()
          .slice(0, count)
      : events.slice(from, from + count);
    for (const event of selected) call.write(readEvent(event));
    call.end();
  }

  private readAll(call: ReadCall, options: Options): void {
    if (options.getReadDirection() === ReadDirection.BACKWARDS) {
      call.emit('error', failure(status.UNIMPLEMENTED, 'the test server does not read $all backwards'));
      return;
    }
    const matches = eventFilter(options);
    let left = Number(BigInt(options.getCount()));
    // Reads of $all are inclusive of the position they start from.
    for (const event of this.log.all) {
      if (left <= 0) break;
      if (!isAtOrAfter(event, options.getAll()!) || !matches(event)) continue;
      call.write(readEvent(event));
      left--;
    }
    call.end();
  }

  private subscribeToAll(call: ReadCall, options: Options): void {
    const all = options.getAll()!;
    const matches = eventFilter(options);
    this.subscriptionFilters.push(describeFilter(options));
    const checkpoint = checkpointer(options, (e) => call.write(checkpointResp(e)));
    const deliver = (event: StoredEvent) => {
      if (matches(event)) call.write(readEvent(event));
      checkpoint(event);
    };
    const confirmation = new streamsPb.ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID());
    call.write(new streamsPb.ReadResp().setConfirmation(confirmation));
    // Subscriptions start after their position (exclusive), unlike reads; START means every event.
    if (all.getAllOptionCase() !== AllOptionCase.END) {
      for (const event of this.log.all) if (isAfter(event, all)) deliver(event);
    }
    call.write(new streamsPb.ReadResp().setCaughtUp(new streamsPb.ReadResp.CaughtUp()));
    // Same tick as the catch-up: nothing can be appended in between, so nothing is lost or repeated.
    const stopListening = this.log.listen((appended) => appended.forEach(deliver));
    const sub = { call, stop: stopListening };
    this.live.add(sub);
    call.on('cancelled', () => {
      stopListening();
      this.live.delete(sub);
    });
  }
}

function isAtOrAfter(event: StoredEvent, all: ReadReq.Options.AllOptions): boolean {
  const option = all.getAllOptionCase();
  if (option === AllOptionCase.START) return true;
  if (option === AllOptionCase.END) return false;
  const p = all.getPosition()!;
  return comparePosition(event, BigInt(p.getCommitPosition()), BigInt(p.getPreparePosition())) >= 0;
}

function isAfter(event: StoredEvent, all: ReadReq.Options.AllOptions): boolean {
  if (all.getAllOptionCase() === AllOptionCase.START) return true;
  const p = all.getPosition()!;
  return comparePosition(event, BigInt(p.getCommitPosition()), BigInt(p.getPreparePosition())) > 0;
}

/** The filter on event type or stream name: any of the prefixes, else the regex (unanchored, like .NET's IsMatch). */
function eventFilter(options: Options): (event: StoredEvent) => boolean {
  const filter = options.hasFilter() ? options.getFilter()! : undefined;
  const expression = filter?.getEventType() ?? filter?.getStreamIdentifier();
  if (!filter || !expression) return () => true;
  const onType = filter.hasEventType();
  const prefixes = expression.getPrefixList();
  const regex = expression.getRegex() ? new RegExp(expression.getRegex()) : undefined;
  return (event) => {
    const value = onType ? event.type : event.streamId;
    if (prefixes.length) return prefixes.some((p) => value.startsWith(p));
    return regex ? regex.test(value) : true;
  };
}

function describeFilter(options: Options): string {
  const filter = options.hasFilter() ? options.getFilter()! : undefined;
  const expression = filter?.getEventType() ?? filter?.getStreamIdentifier();
  if (!filter || !expression) return 'none';
  const on = filter.hasEventType() ? 'eventType' : 'streamName';
  const prefixes = expression.getPrefixList();
  return prefixes.length ? `${on} prefixes ${prefixes.join(',')}` : `${on} regex ${expression.getRegex()}`;
}

/** Filtered subscriptions get checkpoints, so a client whose events are all filtered out still advances. */
function checkpointer(options: Options, send: (at: StoredEvent) => void): (scanned: StoredEvent) => void {
  const filter = options.hasFilter() ? options.getFilter()! : undefined;
  if (!filter) return () => {};
  const every = (filter.hasMax() ? filter.getMax() : DEFAULT_WINDOW) * Math.max(1, filter.getCheckpointintervalmultiplier());
  let scanned = 0;
  return (event) => {
    if (++scanned % every === 0) send(event);
  };
}

function checkpointResp(at: StoredEvent): ReadResp {
  const checkpoint = new streamsPb.ReadResp.Checkpoint().setCommitPosition(at.commit.toString()).setPreparePosition(at.prepare.toString());
  return new streamsPb.ReadResp().setCheckpoint(checkpoint);
}
