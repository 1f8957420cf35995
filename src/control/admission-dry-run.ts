/**
 * The publish decision without its effects, for the doctor (`openlive doctor`, OpenLiveDiagnosePushUrl):
 * the same access decision (domain, names, forbid, signature) and the same claim rule (18/601 unless the
 * domain's replace policy lets a signed newcomer take over, 21/102), but nothing is claimed, dropped,
 * recorded or slowed. So "would this push be accepted" has one implementation: admission's.
 */
import type { Access, Refusal } from './access.ts';
import type { AdmissionRequest } from './admission-request.ts';
import { duplicatePublisher } from './reasons.ts';
import type { ClaimTarget, ClaimView } from './publisher-claims.ts';

/** What a publish would get now: admitted (perhaps replacing the live publisher) or the refusal it would hear. */
export type PublishVerdict =
  | { readonly kind: 'admitted'; readonly domain: string; readonly replaces: boolean }
  | { readonly kind: 'refused'; readonly refusal: Refusal; readonly domain: string };

/** Decides `req` as admission would, with no effect; the claim is only looked at. */
export async function dryRunPublish(
  deps: { readonly access: Access; readonly claims: ClaimView },
  req: AdmissionRequest,
): Promise<PublishVerdict> {
  const decision = await deps.access.checkPublish(req, { dryRun: true });
  if (!decision.allowed) return { kind: 'refused', refusal: decision, domain: '' };
  const domain = decision.domain ?? '';
  const target: ClaimTarget = { app: req.app, stream: req.stream, key: `${req.app}/${req.stream}` };
  if (!(await deps.claims.isHeld(target))) return { kind: 'admitted', domain, replaces: false };
  if (decision.replacePublisher === true) return { kind: 'admitted', domain, replaces: true };
  return { kind: 'refused', refusal: duplicatePublisher(req.app, req.stream), domain };
}
