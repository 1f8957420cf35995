/** The file operations recordings need, behind an interface so tests inject a failing disk (ENOSPC). */
import { mkdir, open, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A file opened for appending. */
export interface AppendFile {
  write(data: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** Asynchronous file operations on absolute paths. */
export interface RecordFs {
  /** Opens (creating it and its folders) a file to append to. */
  openAppend(path: string): Promise<AppendFile>;
  /** Replaces a whole file atomically (a temporary file renamed over it), so readers never see half of it. */
  replace(path: string, data: Buffer): Promise<void>;
  /**
   * Replaces `path` atomically by `head` followed by the ranges `copies` of its current content, streamed
   * (never the whole file in memory): an MP4 finalized to faststart from its fragmented self.
   */
  rewrite(
    path: string,
    head: Buffer,
    copies: readonly { readonly offset: number; readonly size: number }[],
  ): Promise<void>;
  /** The size of a file, or undefined if it does not exist. */
  size(path: string): Promise<number | undefined>;
  /** The names in a folder ([] if it does not exist). */
  list(folder: string): Promise<string[]>;
  /** Removes a file; a missing one is not an error. */
  remove(path: string): Promise<void>;
}

/** RecordFs over node:fs/promises. */
export const nodeRecordFs: RecordFs = {
  async openAppend(path) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const fh: FileHandle = await open(path, 'a', 0o600);
    return {
      write: (data) => writeAll(fh, data),
      close: () => fh.close(),
    };
  },
  async replace(path, data) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.tmp`;
    await writeFile(tmp, data, { mode: 0o600 });
    await rename(tmp, path);
  },
  async rewrite(path, head, copies) {
    const tmp = `${path}.tmp`;
    const src = await open(path, 'r');
    try {
      const out = await open(tmp, 'w', 0o600);
      try {
        await writeAll(out, head);
        const buf = Buffer.allocUnsafe(1 << 20);
        for (const c of copies) {
          for (let at = c.offset, left = c.size; left > 0;) {
            const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, left), at);
            if (bytesRead === 0) throw new Error(`${path} ends before ${at}`);
            await writeAll(out, buf.subarray(0, bytesRead));
            at += bytesRead;
            left -= bytesRead;
          }
        }
      } finally {
        await out.close();
      }
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    } finally {
      await src.close();
    }
    await rename(tmp, path);
  },
  async size(path) {
    try {
      return (await stat(path)).size;
    } catch {
      return undefined;
    }
  },
  async list(folder) {
    try {
      return await readdir(folder);
    } catch {
      return [];
    }
  },
  remove: (path) => rm(path, { force: true }),
};

async function writeAll(fh: FileHandle, data: Buffer): Promise<void> {
  let at = 0;
  while (at < data.length) at += (await fh.write(data, at, data.length - at)).bytesWritten;
}
