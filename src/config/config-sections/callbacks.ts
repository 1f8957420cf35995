/** The `callbacks.*` section: delivery of event callbacks to the receivers of callback templates (docs/api.md "Event callbacks"). */
import { z } from 'zod';

/** The appid, retry interval and count, timeout, queue bound and push-error report interval. */
export const callbacksSection = z
  .strictObject({
    /** The `appid` every callback carries (Tencent's account id; receivers may check it). */
    appId: z.coerce.number().int().min(0).default(0),
    /** A callback not answered 200 is tried again after this long (Tencent: one minute). */
    retryIntervalMs: z.coerce.number().int().min(1).default(60_000),
    /** Retries after the first attempt before a callback is given up (Tencent: 12). */
    maxRetries: z.coerce.number().int().min(0).max(1000).default(12),
    /** No answer within this long counts as a failed attempt (Tencent: 20 s). */
    timeoutMs: z.coerce.number().int().min(1).default(20_000),
    /** Callbacks kept queued at most; past it the oldest is dropped (and recorded). */
    maxPending: z.coerce.number().int().min(1).default(10_000),
    /** Push errors (event 321) are reported at most once per this interval, only when some occurred. */
    reportIntervalMs: z.coerce.number().int().min(100).default(60_000),
  })
  .prefault({});
