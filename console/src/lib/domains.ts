/** Domain data as the console reads it (DescribeLiveDomains, DescribeLive{Push,Play}AuthKey). */
import type { ApiClient } from './api.ts';

/** Tencent's DomainInfo. */
export interface DomainInfo {
  readonly Name: string;
  /** 0 push, 1 play. */
  readonly Type: 0 | 1;
  /** 1 enabled, 0 disabled. */
  readonly Status: 0 | 1;
  readonly CreateTime: string;
  /** 1 when the CNAME points at TargetDomain. */
  readonly BCName: 0 | 1;
  readonly TargetDomain: string;
  readonly CurrentCName: string;
}

/** A domain's authentication as both actions describe it, in one shape. */
export interface AuthInfo {
  readonly enabled: boolean;
  readonly key: string;
  readonly backupKey: string;
  readonly authDelta: number;
  /** How txSecret is hashed (openlive's `Algorithm` extension field; Tencent's default, MD5, when absent). */
  readonly algorithm: 'md5' | 'sha256';
}

/** Every domain of a type (or all), walking the pages (100 a page). */
export async function allDomains(api: ApiClient, type?: 0 | 1): Promise<DomainInfo[]> {
  const out: DomainInfo[] = [];
  for (let page = 1; ; page++) {
    const res = await api.call('DescribeLiveDomains', {
      PageNum: page,
      PageSize: 100,
      ...(type !== undefined && { DomainType: type }),
    });
    const list = (res.DomainList ?? []) as DomainInfo[];
    out.push(...list);
    if (list.length < 100 || out.length >= Number(res.AllCount ?? 0)) return out;
  }
}

/** The push or play authentication of a domain. */
export async function authOf(api: ApiClient, name: string, type: 0 | 1): Promise<AuthInfo> {
  if (type === 0) {
    const info = (await api.call('DescribeLivePushAuthKey', { DomainName: name })).PushAuthKeyInfo;
    return {
      enabled: info.Enable === 1,
      key: info.MasterAuthKey ?? '',
      backupKey: info.BackupAuthKey ?? '',
      authDelta: info.AuthDelta ?? 0,
      algorithm: algorithmOf(info),
    };
  }
  const info = (await api.call('DescribeLivePlayAuthKey', { DomainName: name })).PlayAuthKeyInfo;
  return {
    enabled: info.Enable === 1,
    key: info.AuthKey ?? '',
    backupKey: info.AuthBackKey ?? '',
    authDelta: info.AuthDelta ?? 0,
    algorithm: algorithmOf(info),
  };
}

function algorithmOf(info: { Algorithm?: unknown }): 'md5' | 'sha256' {
  return info.Algorithm === 'sha256' ? 'sha256' : 'md5';
}

/** Changes the fields given; keys left out stay as they are. */
export async function setAuth(api: ApiClient, name: string, type: 0 | 1, patch: Partial<AuthInfo>): Promise<void> {
  const common = {
    DomainName: name,
    ...(patch.enabled !== undefined && { Enable: patch.enabled ? 1 : 0 }),
    ...(patch.authDelta !== undefined && { AuthDelta: patch.authDelta }),
  };
  if (type === 0) {
    await api.call('ModifyLivePushAuthKey', {
      ...common,
      ...(patch.key !== undefined && { MasterAuthKey: patch.key }),
      ...(patch.backupKey !== undefined && { BackupAuthKey: patch.backupKey }),
    });
  } else {
    await api.call('ModifyLivePlayAuthKey', {
      ...common,
      ...(patch.key !== undefined && { AuthKey: patch.key }),
      ...(patch.backupKey !== undefined && { AuthBackKey: patch.backupKey }),
    });
  }
}

/** "Push" or "Play". */
export function typeName(type: 0 | 1): string {
  return type === 0 ? 'Push' : 'Play';
}
