// The IPC messages between bench/fanout.ts and its load-generator processes (bench/load-players.ts).

/** Which RTMP player: the lean chunk walker (default) or the project's ClientSession. */
export type RtmpPlayerKind = 'walker' | 'session';

/** What the driver asks a load process. */
export type LoadRequest =
  | { cmd: 'open'; url: string; count: number; perSecond: number; stall: boolean; rtmpPlayer: RtmpPlayerKind }
  | { cmd: 'status' }
  | { cmd: 'snapshot' }
  | { cmd: 'report' }
  | { cmd: 'close' };

/** One player's join times (ms from starting to connect, -1 if it never happened) and its fate. */
export interface PlayerReport {
  firstByteMs: number;
  firstKeyMs: number;
  bytes: number;
  error: string;
}

/** What a load process answers. */
export type LoadReply =
  | { kind: 'status'; opened: number; firstKey: number; failed: number }
  | { kind: 'snapshot'; at: number; cpuMicros: number; bytes: number[]; alive: boolean[] }
  | { kind: 'report'; players: PlayerReport[] };
