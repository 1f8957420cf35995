/**
 * The signed-in key pair. It lives in this tab's sessionStorage (gone when the tab closes, never
 * shared with other tabs, never sent anywhere: requests carry only signatures), see docs/console.md.
 */

/** A SecretId/SecretKey pair. */
export interface Credential {
  readonly secretId: string;
  readonly secretKey: string;
}

const storageKey = 'openlive.credential';

/** The pair this tab signed in with, if any. */
export function loadCredential(): Credential | undefined {
  try {
    const raw = sessionStorage.getItem(storageKey);
    if (!raw) return undefined;
    const value = JSON.parse(raw) as Partial<Credential>;
    return typeof value.secretId === 'string' && typeof value.secretKey === 'string'
      ? { secretId: value.secretId, secretKey: value.secretKey }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps the pair for this tab. */
export function saveCredential(credential: Credential): void {
  sessionStorage.setItem(storageKey, JSON.stringify(credential));
}

/** Forgets the pair (sign out). */
export function clearSession(): void {
  sessionStorage.clear();
}
