/**
 * Tencent's own Node SDK (`tencentcloud-sdk-nodejs`, CommonJS) as the client of openlive's Cloud API:
 * its live 2018-08-01 client pointed at a local endpoint over plain HTTP (tencent-sdk-notes.md).
 * `client.DescribeLiveDomains({...})` for typed actions, `client.request('Action', {...})` for the rest.
 */
import { createRequire } from 'node:module';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Client as LiveClient } from 'tencentcloud-sdk-nodejs/tencentcloud/services/live/v20180801/live_client.js';

const require = createRequire(import.meta.url);
type SdkExceptionClass =
  typeof import('tencentcloud-sdk-nodejs/tencentcloud/common/exception/tencent_cloud_sdk_exception.js').default;
const sdk = require('tencentcloud-sdk-nodejs') as { live: { v20180801: { Client: typeof LiveClient } } };

/** The SDK's exception class: API errors arrive as it, with `.code` set to the Tencent code. */
export const TencentCloudSDKHttpException = (
  require('tencentcloud-sdk-nodejs/tencentcloud/common/exception/tencent_cloud_sdk_exception.js') as {
    default: SdkExceptionClass;
  }
).default;

export type { LiveClient };

/** A SecretId/SecretKey pair. */
export interface ApiCredential {
  readonly secretId: string;
  readonly secretKey: string;
}

/**
 * A live client for `endpoint` (`127.0.0.1:8081`). It gets its own keep-alive agent: without one a
 * lowercase `http_proxy` variable would send even loopback traffic to the proxy. Call `close()` after.
 */
export function liveClient(
  endpoint: string,
  credential: ApiCredential,
  options: { reqTimeout?: number; /** HTTPS (api.tls), trusting this CA certificate (PEM). */ ca?: Buffer } = {},
): LiveClient & { close(): void } {
  const agent = options.ca ? new HttpsAgent({ keepAlive: true, ca: options.ca }) : new Agent({ keepAlive: true });
  const protocol = options.ca ? 'https://' : 'http://';
  const client = new sdk.live.v20180801.Client({
    credential: { secretId: credential.secretId, secretKey: credential.secretKey },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint, protocol, reqTimeout: options.reqTimeout ?? 10, agent } },
  });
  return Object.assign(retryReplays(client), { close: () => agent.destroy() });
}

/**
 * What docs/api.md tells SDK users to do: the SDK signs only content-type;host with a timestamp in whole
 * seconds, so a call repeating the previous one's body within the same second carries the same signature
 * and is refused as a replay (AuthFailure.SignatureReplay). Such a call is sent again in the next second.
 */
export function retryReplays<C extends object>(client: C): C {
  const sdkClient = client as unknown as {
    doRequest(action: string, req: unknown, options?: unknown): Promise<unknown>;
  };
  const doRequest = sdkClient.doRequest.bind(sdkClient);
  sdkClient.doRequest = async (action, req, options) => {
    try {
      return await doRequest(action, req, options);
    } catch (err) {
      if ((err as { code?: string }).code !== 'AuthFailure.SignatureReplay') throw err;
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
      return doRequest(action, req, options);
    }
  };
  return client;
}

/** Runs `call` and returns the SDK exception it throws; fails if it resolves or throws something else. */
export async function sdkError(call: Promise<unknown>): Promise<InstanceType<typeof TencentCloudSDKHttpException>> {
  try {
    await call;
  } catch (err) {
    if (err instanceof TencentCloudSDKHttpException) return err;
    throw new Error(`expected a TencentCloudSDKHttpException, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected the call to fail with a TencentCloudSDKHttpException, but it succeeded');
}

/**
 * A live client for a server process started by startServerProcess (its admin port and the key pair its first
 * start printed, requests timing out after 15 s), and the name of its default push domain. Call `close()` after.
 */
export async function serverClient(server: {
  readonly apiPort: number;
  readonly secretId: string | undefined;
  readonly secretKey: string | undefined;
}): Promise<{ client: LiveClient & { close(): void }; domain: string }> {
  const client = liveClient(
    `127.0.0.1:${server.apiPort}`,
    { secretId: server.secretId!, secretKey: server.secretKey! },
    { reqTimeout: 15 },
  );
  const domain = (await client.DescribeLiveDomains({})).DomainList!.find((d) => d.Type === 0)!.Name!;
  return { client, domain };
}
