/** The hub key of a stream, `AppName/StreamName`: one formula for every ingest and playback path. */
export function streamKey(app: string, name: string): string {
  return `${app}/${name}`;
}
