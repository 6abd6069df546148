// An in-memory EventStoreDB for tests: a real gRPC server (insecure, 127.0.0.1, free port) speaking the client's
// own generated service definitions, implementing only what the adapter uses. Anything else answers UNIMPLEMENTED.
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb.js';
import { append, batchAppend } from './append.js';
import { MemoryLog } from './log.js';
import { featuresGrpc, featuresPb, streamsGrpc } from './proto.js';
import { Reads } from './read.js';
import { seedSystemEvents } from './seed.js';

export interface EsdbTestServerOptions {
  /** Advertise Streams.BatchAppend (the client then uses it); false makes the client fall back to Streams.Append. */
  readonly batchAppend?: boolean;
  /** Offset of the first record in the log: set it past 2^53 to prove positions travel as exact 64-bit values. */
  readonly firstPosition?: bigint;
}

export interface EsdbTestServer {
  /** Connection string, e.g. esdb://127.0.0.1:PORT?tls=false */
  readonly url: string;
  /** Everything in $all, system events included, for assertions. */
  readonly log: MemoryLog;
  /** Ends every live subscription, by default with UNAVAILABLE ('end': with a clean OK status); the data stays. */
  dropSubscriptions(how?: 'error' | 'end'): void;
  /** The filter of every $all subscription received so far, e.g. 'eventType regex ^[^$].*'. */
  subscriptionFilters(): readonly string[];
  /** Stops and starts again on the same port with the same data: every connection and call is cut. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEsdbTestServer(options: EsdbTestServerOptions = {}): Promise<EsdbTestServer> {
  const log = new MemoryLog(options.firstPosition ?? 0n);
  seedSystemEvents(log);
  const reads = new Reads(log);
  let server = await listen(log, reads, options, 0);
  const port = server.port;
  return {
    url: `esdb://127.0.0.1:${port}?tls=false`,
    log,
    dropSubscriptions: (how) => reads.dropAll(how),
    subscriptionFilters: () => reads.subscriptionFilters,
    async restart() {
      // Cut the connections first, so clients see what a real restart shows them; then forget the dead calls.
      server.grpc.forceShutdown();
      reads.dropAll();
      server = await listen(log, reads, options, port);
    },
    async stop() {
      reads.dropAll();
      server.grpc.forceShutdown();
    },
  };
}

async function listen(log: MemoryLog, reads: Reads, options: EsdbTestServerOptions, port: number) {
  const grpc = new Server();
  grpc.addService(streamsGrpc.StreamsService, {
    read: reads.read,
    append: append(log),
    batchAppend: batchAppend(log),
  });
  grpc.addService(featuresGrpc.ServerFeaturesService, {
    getSupportedMethods: (_call: ServerUnaryCall<unknown, SupportedMethods>, callback: sendUnaryData<SupportedMethods>) =>
      callback(null, supportedMethods(options)),
  });
  const bound = await new Promise<number>((resolve, reject) =>
    grpc.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { grpc, port: bound };
}

function supportedMethods(options: EsdbTestServerOptions): SupportedMethods {
  const methods = new featuresPb.SupportedMethods().setEventStoreServerVersion('24.10.0');
  const add = (service: string, method: string) =>
    methods.addMethods(new featuresPb.SupportedMethod().setServiceName(service).setMethodName(method));
  add('event_store.client.server_features.ServerFeatures', 'GetSupportedMethods');
  add('event_store.client.streams.Streams', 'Read');
  add('event_store.client.streams.Streams', 'Append');
  if (options.batchAppend !== false) add('event_store.client.streams.Streams', 'BatchAppend');
  return methods;
}
