/** Which record or snapshot rule applies to a published stream (Tencent's rule precedence). */

/** What a rule names: a push domain, an AppName and a StreamName ('' = every one). */
export interface StreamRuleTarget {
  readonly domain: string;
  readonly app: string;
  readonly stream: string;
}

/** The rule of `rules` that applies to domain/app/stream, undefined when none matches. */
export function ruleFor<R extends StreamRuleTarget>(
  rules: readonly R[],
  domain: string,
  app: string,
  stream: string,
): R | undefined {
  const matching = rules.filter(
    (r) => r.domain === domain && (r.app === '' || r.app === app) && (r.stream === '' || r.stream === stream),
  );
  // The rule naming the stream wins over the AppName-wide one, which wins over the domain-wide one
  // (Tencent: AppName and StreamName narrow a rule; '' matches every one).
  return matching.find((r) => r.stream === stream) ?? matching.find((r) => r.app === app) ?? matching[0];
}
