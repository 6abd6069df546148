// Streams.Append (one append per call) and Streams.BatchAppend (one long-lived duplex stream carrying many appends,
// each identified by a correlation id and possibly split over several requests). The client prefers BatchAppend
// when GetSupportedMethods lists it.
import { status, type sendUnaryData, type ServerDuplexStream, type ServerReadableStream } from '@grpc/grpc-js';
import type { AppendReq, AppendResp, BatchAppendReq, BatchAppendResp } from '@eventstore/db-client/generated/streams_pb.js';
import type { UUID } from '@eventstore/db-client/generated/shared_pb.js';
import { failure } from './errors.js';
import type { AppendOutcome, Expected, MemoryLog, ProposedEvent } from './log.js';
import { anyPb, codePb, emptyPb, sharedPb, statusPb, streamIdentifier, streamName, streamsPb, uuid, uuidString } from './proto.js';

interface ProposedMessage {
  getId(): UUID | undefined;
  getMetadataMap(): { get(key: string): string | undefined };
  getData_asU8(): Uint8Array;
  getCustomMetadata_asU8(): Uint8Array;
}

/** Both ends of the wire carry type and content-type in the metadata map; a real server refuses events without them. */
function proposedEvent(message: ProposedMessage): ProposedEvent | undefined {
  const type = message.getMetadataMap().get('type');
  const contentType = message.getMetadataMap().get('content-type');
  if (!type || !contentType) return undefined;
  const id = uuidString(message.getId());
  return { id, type, contentType, data: message.getData_asU8(), customMetadata: message.getCustomMetadata_asU8() };
}

const missingMetadata = () =>
  failure(status.INVALID_ARGUMENT, 'type and content-type are required', 'missing-required-metadata-property', {
    'required-metadata-properties': 'type,content-type',
  });

export function append(log: MemoryLog) {
  return (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): void => {
    let options: AppendReq.Options | undefined;
    const proposed: (ProposedEvent | undefined)[] = [];
    call.on('data', (req: AppendReq) => {
      if (req.hasOptions()) options = req.getOptions();
      else proposed.push(proposedEvent(req.getProposedMessage()!));
    });
    call.on('end', () => {
      if (!options) return callback(failure(status.INVALID_ARGUMENT, 'the first message must carry the options'));
      if (proposed.some((p) => !p)) return callback(missingMetadata());
      const expected: Expected = options.hasRevision()
        ? { kind: 'revision', revision: BigInt(options.getRevision()) }
        : options.hasNoStream()
          ? { kind: 'no_stream' }
          : options.hasStreamExists()
            ? { kind: 'stream_exists' }
            : { kind: 'any' };
      const outcome = log.append(streamName(options.getStreamIdentifier()), proposed as ProposedEvent[], expected);
      callback(null, appendResp(outcome, expected));
    });
  };
}

function appendResp(outcome: AppendOutcome, expected: Expected): AppendResp {
  const empty = () => new sharedPb.Empty();
  if (outcome.ok) {
    const success = new streamsPb.AppendResp.Success();
    if (outcome.current === undefined) success.setNoStream(empty());
    else success.setCurrentRevision(outcome.current.toString());
    if (outcome.last) {
      const { commit, prepare } = outcome.last;
      success.setPosition(new streamsPb.AppendResp.Position().setCommitPosition(commit.toString()).setPreparePosition(prepare.toString()));
    } else success.setNoPosition(empty());
    return new streamsPb.AppendResp().setSuccess(success);
  }
  const wrong = new streamsPb.AppendResp.WrongExpectedVersion();
  if (outcome.current === undefined) wrong.setCurrentNoStream(empty());
  else wrong.setCurrentRevision(outcome.current.toString());
  if (expected.kind === 'revision') wrong.setExpectedRevision(expected.revision.toString());
  else if (expected.kind === 'no_stream') wrong.setExpectedNoStream(empty());
  else if (expected.kind === 'stream_exists') wrong.setExpectedStreamExists(empty());
  else wrong.setExpectedAny(empty());
  return new streamsPb.AppendResp().setWrongExpectedVersion(wrong);
}

export function batchAppend(log: MemoryLog) {
  return (call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void => {
    const pending = new Map<string, { options?: BatchAppendReq.Options; proposed: (ProposedEvent | undefined)[] }>();
    call.on('data', (req: BatchAppendReq) => {
      const correlationId = uuidString(req.getCorrelationId());
      const batch = pending.get(correlationId) ?? { proposed: [] };
      pending.set(correlationId, batch);
      if (req.hasOptions()) batch.options = req.getOptions();
      for (const message of req.getProposedMessagesList()) batch.proposed.push(proposedEvent(message));
      if (!req.getIsFinal()) return;
      pending.delete(correlationId);
      call.write(batchResult(log, correlationId, batch.options, batch.proposed));
    });
    call.on('end', () => call.end());
  };
}

function batchResult(
  log: MemoryLog,
  correlationId: string,
  options: BatchAppendReq.Options | undefined,
  proposed: (ProposedEvent | undefined)[],
): BatchAppendResp {
  const empty = () => new emptyPb.Empty();
  const resp = new streamsPb.BatchAppendResp().setCorrelationId(uuid(correlationId));
  const name = streamName(options?.getStreamIdentifier());
  resp.setStreamIdentifier(streamIdentifier(name));
  if (!options || proposed.some((p) => !p)) {
    return resp.setError(new statusPb.Status().setCode(codePb.Code.INVALID_ARGUMENT).setMessage('bad append request'));
  }
  let expected: Expected;
  if (options.hasStreamPosition()) {
    expected = { kind: 'revision', revision: BigInt(options.getStreamPosition()) };
    resp.setStreamPosition(options.getStreamPosition());
  } else if (options.hasNoStream()) {
    expected = { kind: 'no_stream' };
    resp.setNoStream(empty());
  } else if (options.hasStreamExists()) {
    expected = { kind: 'stream_exists' };
    resp.setStreamExists(empty());
  } else {
    expected = { kind: 'any' };
    resp.setAny(empty());
  }
  const outcome = log.append(name, proposed as ProposedEvent[], expected);
  if (!outcome.ok) {
    // A version conflict travels as a google.rpc.Status whose details pack event_store.client.WrongExpectedVersion.
    const details = new sharedPb.WrongExpectedVersion();
    if (outcome.current === undefined) details.setCurrentNoStream(empty());
    else details.setCurrentStreamRevision(outcome.current.toString());
    if (expected.kind === 'revision') details.setExpectedStreamPosition(expected.revision.toString());
    else if (expected.kind === 'no_stream') details.setExpectedNoStream(empty());
    else if (expected.kind === 'stream_exists') details.setExpectedStreamExists(empty());
    else details.setExpectedAny(empty());
    const packed = new anyPb.Any();
    packed.pack(details.serializeBinary(), 'event_store.client.WrongExpectedVersion');
    const error = new statusPb.Status().setCode(codePb.Code.FAILED_PRECONDITION).setMessage('WrongExpectedVersion');
    return resp.setError(error.setDetails(packed));
  }
  const success = new streamsPb.BatchAppendResp.Success();
  if (outcome.current === undefined) success.setNoStream(empty());
  else success.setCurrentRevision(outcome.current.toString());
  if (outcome.last) {
    const { commit, prepare } = outcome.last;
    success.setPosition(new sharedPb.AllStreamPosition().setCommitPosition(commit.toString()).setPreparePosition(prepare.toString()));
  } else success.setNoPosition(empty());
  return resp.setSuccess(success);
}
