/**
 * openlive's own Cloud API action for the troubleshooter (no Tencent equivalent, hence the
 * `OpenLive` prefix): OpenLiveDiagnosePushUrl runs the doctor inside the server, where the live
 * publishers are known first-hand, and answers in the API's PascalCase.
 */
import { isoSeconds } from '../../../control/break-codes.ts';
import { diagnosePushUrl, type DoctorDeps } from '../../../control/doctor/doctor.ts';
import { createRtmpProbe } from '../../rtmp/rtmp-probe.ts';
import { createSrtProbe } from '../../srt/srt-probe.ts';
import type { PublisherLookup } from '../../../control/doctor/stream-checks.ts';
import type { ApiActions } from '../api-action.ts';
import { publicPorts, type ApiDeps } from '../api-deps.ts';
import { requiredString } from '../api-params.ts';

/** The longest PushUrl accepted. */
const maxUrlBytes = 4096;

/** The troubleshooter action. */
export function doctorActions(deps: ApiDeps): ApiActions {
  const publisher: PublisherLookup = (app, stream) => {
    const info = deps.publishers.get(app, stream)?.info();
    return Promise.resolve(
      info
        ? {
            state: 'live',
            clientIp: info.clientIp,
            startedAt: info.startedAt,
            domain: info.domain,
            how: "the server's live publishers",
          }
        : { state: 'idle', how: "not among the server's live publishers" },
    );
  };
  const admission = deps.admission;
  const doctor: DoctorDeps = {
    store: deps.store,
    domains: deps.domains,
    strict: deps.config.domains.strict,
    listen: { host: deps.config.rtmp.host, port: publicPorts(deps).rtmp },
    ...(deps.config.rtmps.enabled && {
      listenTls: { host: deps.config.rtmps.host, port: publicPorts(deps).rtmps ?? deps.config.rtmps.port },
    }),
    ...(deps.config.srt.enabled && {
      listenSrt: { host: deps.config.srt.host, port: publicPorts(deps).srt || deps.config.srt.port },
    }),
    probeRtmp: createRtmpProbe({ timeoutMs: 3000 }),
    probeSrt: createSrtProbe({ timeoutMs: 3000 }),
    publisher,
    // The resolver the domain checks use (a stub in tests), so both answer from the same DNS.
    resolver: deps.domains.resolver,
    now: deps.now,
    // The same decision a real publish gets: the server's admission path, as a dry run.
    ...(admission && { verdict: (req) => admission.dryRunPublish(req) }),
  };
  return {
    OpenLiveDiagnosePushUrl: async (params) => {
      const report = await diagnosePushUrl(requiredString(params, 'PushUrl', maxUrlBytes), doctor);
      return {
        PushUrl: report.url,
        DomainName: report.domain ?? '',
        AppName: report.app ?? '',
        StreamName: report.stream ?? '',
        Checks: report.checks.map((c) => ({
          Name: c.name,
          Title: c.title,
          Status: c.status,
          Detail: c.detail,
          Fix: c.fix,
          BreakCode: c.breakCode ?? '',
        })),
        RejectedAttempts: report.rejectedAttempts.map((a) => ({
          Time: isoSeconds(a.at),
          BreakCode: a.breakCode,
          Code: a.code,
          Reason: a.reason,
          ClientIp: a.clientIp,
          Host: a.host,
          DomainName: a.domain,
        })),
        Verdict: report.verdict
          ? report.verdict.accepted
            ? { Accepted: true, DomainName: report.verdict.domain, Replaces: report.verdict.replaces }
            : {
                Accepted: false,
                Code: report.verdict.code,
                BreakCode: report.verdict.breakCode,
                Reason: report.verdict.reason,
              }
          : null,
        Ok: report.ok,
      };
    },
  };
}
