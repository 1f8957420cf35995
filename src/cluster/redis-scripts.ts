/**
 * The Lua scripts of the Redis Coordinator: each runs atomically in Redis, so a claim, a renew or a release
 * compares and sets in one step (the compare-and-set that `SET NX PX` alone cannot do for renew and release).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A script sent once by EVAL and after that by its SHA-1 (EVALSHA), as Redis's script cache expects. */
export class RedisScript {
  private readonly source: string;
  private readonly sha: string;

  constructor(source: string) {
    this.source = source;
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script with `keys` and `args`; a Redis restarted since (empty script cache) gets the source again. */
  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * KEYS: claim, holder; ARGV: node id, lease ms, holder JSON. Takes a free claim with `SET claim node NX PX
 * lease` (and writes the registry entry with the same lease); renews one this node already holds; else
 * answers the other holder's entry. Returns {1, holder} taken, {2, holder} already ours, {0, holder|false}.
 */
export const claimScript = new RedisScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
  return {1, ARGV[3]}
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  local holder = redis.call('GET', KEYS[2])
  if holder then
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
  else
    holder = ARGV[3]
    redis.call('SET', KEYS[2], holder, 'PX', ARGV[2])
  end
  return {2, holder}
end
return {0, redis.call('GET', KEYS[2])}
`);

/** KEYS: claim, holder; ARGV: node id, lease ms. Extends both leases only if the claim is still this node's: 1, else 0. */
export const renewScript = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  return 1
end
return 0
`);

/** KEYS: claim, holder; ARGV: node id. Deletes both only if the claim is this node's: 1, else 0. */
export const releaseScript = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0
`);

/** KEYS: counter; ARGV: by, ttl ms. INCRBY, and the expiry on the first increment of a window. Returns the count. */
export const incrementScript = new RedisScript(`
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return n
`);
