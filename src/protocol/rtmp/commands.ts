/**
 * Command and data messages (RTMP 1.0 §7.1.1, §7.2): AMF0 bodies of the form
 * `name, transactionId, commandObject, ...args`, and the replies a server sends.
 */

import { Buffer } from 'node:buffer';
import { ProtocolError } from '../../errors.ts';
import { amf0LimitDefaults, decodeAmf0, decodeAmf0All, type Amf0Limits } from '../amf0/amf0-decoder.ts';
import { encodeAmf0 } from '../amf0/amf0-encoder.ts';
import type { Amf0Object, Amf0Value } from '../amf0/amf0-value.ts';
import { nameLimitDefaults, splitNameQuery, type NameLimits, type SplitName } from './bounded-query.ts';
import { MessageType } from './control-messages.ts';

/** A decoded command message. */
export interface Command {
  name: string;
  /** 0 when the sender expects no reply (RTMP 1.0 §7.2.1). */
  transactionId: number;
  /** The command object: connect properties, or null for most stream commands. */
  commandObject: Amf0Value;
  args: Amf0Value[];
}

/**
 * The AMF0 body of a command or data message. Types 17/15 (AMF3) that start with a 0x00 byte carry
 * AMF0 after it, which is what Flash clients in AMF3 mode send and FMS reads; real AMF3 is refused.
 */
export function amf0Body(typeId: number, payload: Buffer): Buffer {
  if (typeId !== MessageType.CommandAmf3 && typeId !== MessageType.DataAmf3) return payload;
  if (payload.length > 0 && payload[0] === 0) return payload.subarray(1);
  throw new ProtocolError('RTMP_COMMAND_INVALID', `AMF3-encoded message (type ${typeId}) is not supported`);
}

/** Decodes a command message of type 20 or 17; AMF0 errors and limits surface as their own ProtocolError codes. */
export function decodeCommand(typeId: number, payload: Buffer, limits: Amf0Limits = amf0LimitDefaults): Command {
  const values = decodeAmf0All(amf0Body(typeId, payload), limits);
  const [name, transactionId = 0, commandObject = null] = values;
  if (typeof name !== 'string') {
    throw new ProtocolError('RTMP_COMMAND_INVALID', 'command message does not start with a name string');
  }
  if (typeof transactionId !== 'number' || Number.isNaN(transactionId)) {
    throw new ProtocolError('RTMP_COMMAND_INVALID', `command ${name} has no numeric transaction id`);
  }
  return { name, transactionId, commandObject, args: values.slice(3) };
}

/** Encodes a command message body (type 20). */
export function encodeCommand(
  name: string,
  transactionId: number,
  commandObject: Amf0Value,
  ...args: Amf0Value[]
): Buffer {
  return encodeAmf0(name, transactionId, commandObject, ...args);
}

/** The info object of an onStatus or `_result`/`_error` (level, code, description, then extras). */
export function statusInfo(
  level: string,
  code: string,
  description: string,
  extra: Record<string, Amf0Value> = {},
): Amf0Object {
  return new Map<string, Amf0Value>([
    ['level', level],
    ['code', code],
    ['description', description],
    ...Object.entries(extra),
  ]);
}

/** An `onStatus(0, null, info)` command body for NetStream status events. */
export function encodeOnStatus(
  level: string,
  code: string,
  description: string,
  extra?: Record<string, Amf0Value>,
): Buffer {
  return encodeCommand('onStatus', 0, null, statusInfo(level, code, description, extra));
}

/** A `_result` reply to a transaction. */
export function encodeResult(transactionId: number, commandObject: Amf0Value, ...args: Amf0Value[]): Buffer {
  return encodeCommand('_result', transactionId, commandObject, ...args);
}

/** An `_error` reply to a transaction. */
export function encodeError(transactionId: number, commandObject: Amf0Value, ...args: Amf0Value[]): Buffer {
  return encodeCommand('_error', transactionId, commandObject, ...args);
}

/** A decoded data message (type 18 or 15): its handler name and the values after it. */
export interface DataMessage {
  name: string | undefined;
  values: Amf0Value[];
  /** Offset in the AMF0 body just after the name, where the values start. */
  valuesOffset: number;
  /** The AMF0 body (without the AMF3 leading byte). */
  body: Buffer;
}

/** Decodes a data message body (the AMF0 limits apply to the name and to the values after it, each). */
export function decodeData(typeId: number, payload: Buffer, limits: Amf0Limits = amf0LimitDefaults): DataMessage {
  const body = amf0Body(typeId, payload);
  if (body.length === 0) return { name: undefined, values: [], valuesOffset: 0, body };
  const first = decodeAmf0(body, 0, limits);
  const rest = decodeAmf0All(body.subarray(first.offset), limits);
  const name = typeof first.value === 'string' ? first.value : undefined;
  return { name, values: name === undefined ? [first.value, ...rest] : rest, valuesOffset: first.offset, body };
}

/** The data message a publisher sends to set the stream's metadata: `@setDataFrame onMetaData {...}`. */
export function encodeSetDataFrame(metadata: Amf0Value): Buffer {
  return encodeAmf0('@setDataFrame', 'onMetaData', metadata);
}

/**
 * Splits a stream name like `x?txSecret=..&txTime=..` into the name and its query, its lengths and
 * parameter count checked first (a ProtocolError RTMP_NAME_TOO_LONG, RTMP_QUERY_TOO_LONG or
 * RTMP_QUERY_TOO_MANY_PARAMS; see bounded-query.ts).
 */
export function splitStreamName(raw: string, limits: NameLimits = nameLimitDefaults): SplitName {
  return splitNameQuery(raw, 'stream name', limits);
}
