// gRPC errors as EventStoreDB sends them. The client recognises an error by the `exception` trailer
// (e.g. 'stream-deleted', 'missing-required-metadata-property'); without one it falls back to the status code,
// and to UnknownError for most codes.
import { Metadata, type StatusObject, type status } from '@grpc/grpc-js';

export function failure(
  code: status,
  details: string,
  exception?: string,
  extra: Record<string, string> = {},
): Partial<StatusObject> & Error {
  const metadata = new Metadata();
  if (exception) metadata.set('exception', exception);
  for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
  return Object.assign(new Error(details), { code, details, metadata });
}
