/** Disk storage of one stream's finished segments (`hls.storage: disk`): one file per segment, deleted as it expires. */
import { mkdir, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The segment files of one HLS stream, in their own folder. */
export class SegmentFiles {
  readonly dir: string;
  #made: Promise<unknown> | undefined;
  #closed = false;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The file of segment `name`. */
  path(name: string): string {
    return join(this.dir, name);
  }

  /** Writes a finished segment; resolves false if the folder was cleared meanwhile or the write failed. */
  async write(name: string, bytes: Buffer): Promise<boolean> {
    if (this.#closed) return false;
    try {
      await (this.#made ??= mkdir(this.dir, { recursive: true }));
      if (this.#closed) return false;
      await writeFile(this.path(name), bytes);
      return !this.#closed;
    } catch {
      return false;
    }
  }

  /** Deletes one segment's file; a file already gone is fine. */
  remove(name: string): void {
    unlink(this.path(name)).catch(() => {});
  }

  /** Deletes the folder and everything in it; later writes do nothing. */
  async clear(): Promise<void> {
    this.#closed = true;
    await this.#made?.catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }
}
