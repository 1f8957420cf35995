/** Test helpers of the recorder: a looped real H.264/AAC feed, an in-memory disk that can fail, a quiet logger. */
import { FlvDemuxer } from '../../protocol/flv/flv-demuxer.ts';
import type { MediaMessage } from '../../protocol/media.ts';
import type { HubLogger } from '../../hub/hub-options.ts';
import { readFileSync } from 'node:fs';
import type { AppendFile, RecordFs } from './record-fs.ts';

const fixturePath = new URL('../../../test/fixtures/flv/h264-aac-320x240.flv', import.meta.url);

/** The fixture's headers, then its one-second GOP looped `seconds` times (a keyframe every 1000 ms). */
export function loopedFeed(seconds: number): { headers: MediaMessage[]; frames: MediaMessage[] } {
  const all = new FlvDemuxer().push(readFileSync(fixturePath));
  const headers = all.filter((m) => m.type === 18 || m.sequenceHeader);
  const gop = all.filter((m) => !(m.type === 18 || m.sequenceHeader || (m.type === 9 && m.payload[1] === 2)));
  const frames: MediaMessage[] = [];
  for (let i = 0; i < seconds; i++) for (const m of gop) frames.push({ ...m, timestamp: m.timestamp + i * 1000 });
  return { headers, frames };
}

/** A RecordFs in memory: `failAfterBytes` makes writes past it fail with ENOSPC; `stall` never completes them. */
export class MemoryRecordFs implements RecordFs {
  readonly files = new Map<string, Buffer>();
  failAfterBytes = Infinity;
  stall = false;
  written = 0;

  async openAppend(path: string): Promise<AppendFile> {
    if (!this.files.has(path)) this.files.set(path, Buffer.alloc(0));
    return {
      write: (data) => this.#write(path, data, false),
      close: async () => undefined,
    };
  }

  replace(path: string, data: Buffer): Promise<void> {
    return this.#write(path, data, true);
  }

  async rewrite(path: string, head: Buffer, copies: readonly { offset: number; size: number }[]): Promise<void> {
    const old = this.files.get(path) ?? Buffer.alloc(0);
    this.files.set(path, Buffer.concat([head, ...copies.map((c) => old.subarray(c.offset, c.offset + c.size))]));
  }

  async size(path: string): Promise<number | undefined> {
    return this.files.get(path)?.length;
  }

  async list(folder: string): Promise<string[]> {
    return [...this.files.keys()]
      .filter((p) => p.startsWith(`${folder}/`) && !p.slice(folder.length + 1).includes('/'))
      .map((p) => p.slice(folder.length + 1));
  }

  async remove(path: string): Promise<void> {
    this.files.delete(path);
  }

  async #write(path: string, data: Buffer, replace: boolean): Promise<void> {
    if (this.stall) return new Promise(() => undefined);
    if (this.written + data.length > this.failAfterBytes) {
      throw Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: 'ENOSPC' });
    }
    this.written += data.length;
    this.files.set(path, replace ? data : Buffer.concat([this.files.get(path) ?? Buffer.alloc(0), data]));
  }
}

/** A logger that keeps nothing. */
export const quietLog: HubLogger = { warn: () => undefined, info: () => undefined, debug: () => undefined };
