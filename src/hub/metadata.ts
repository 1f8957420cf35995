/** Recognises the stream metadata among script-data messages, by its first AMF0 value only. */
import { Buffer } from 'node:buffer';
import { MediaType, type MediaMessage } from '../protocol/media.ts';

// AMF0 §2.4 string: marker 0x02, u16 length, UTF-8 bytes.
const onMetaData = Buffer.from([0x02, 0x00, 0x0a, ...Buffer.from('onMetaData')]);
const setDataFrame = Buffer.from([0x02, 0x00, 0x0d, ...Buffer.from('@setDataFrame')]);

/**
 * The message as an `onMetaData` script tag if it is the stream metadata, else undefined. Encoders
 * (ffmpeg, OBS) send it as `@setDataFrame("onMetaData", …)`, an FMS convention that players do not
 * know: the wrapper is cut off with a zero-copy view so players receive a plain FLV `onMetaData`.
 */
export function asMetadata(msg: MediaMessage): MediaMessage | undefined {
  if (msg.type !== MediaType.Data) return undefined;
  const p = msg.payload;
  if (startsWith(p, onMetaData, 0)) return msg;
  if (startsWith(p, setDataFrame, 0) && startsWith(p, onMetaData, setDataFrame.length)) {
    return { ...msg, payload: p.subarray(setDataFrame.length) };
  }
  return undefined;
}

function startsWith(buf: Buffer, prefix: Buffer, at: number): boolean {
  return buf.length >= at + prefix.length && buf.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0;
}
