/** The `domains.*` section: strict domain matching, CNAME checks and the default domains (docs/domains.md). */
import { z } from 'zod';
import { commaList, flag } from './values.ts';

/** Strictness, the CNAME suffix and resolvers, and the default push and play domains. */
export const domainsSection = z
  .strictObject({
    /** Strict: pushes to bare IPs (18/300) and unknown hosts (18/301) are refused instead of served by the default domains. */
    strict: flag.default(false),
    /** Each domain's CNAME target is `<domain>.<cnameSuffix>`. */
    cnameSuffix: z.string().min(1).default('live.openlive.local'),
    /** DNS servers for CNAME checks (`127.0.0.1:5353`); empty = the system's resolvers. */
    dnsServers: commaList.default([]),
    /** The default domains the first start creates (they serve bare-IP and unknown hosts unless strict). */
    defaultPushDomain: z.string().min(1).default('push.localhost'),
    defaultPlayDomain: z.string().min(1).default('play.localhost'),
  })
  .prefault({});
