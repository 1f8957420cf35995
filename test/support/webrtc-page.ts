/// <reference lib="dom" />
/**
 * The page side of a WHIP or WHEP offer, once for every Chromium test (test/interop/webrtc-*.test.ts):
 * `webrtcPage()` opens a page whose init script puts `whipWhep` on `window`, so code inside
 * `page.evaluate` does `await (window as unknown as WhipWhepWindow).whipWhep.offer(pc, url)` after adding
 * its transceivers: create the offer, wait for ICE gathering (the server is ICE-lite and takes no
 * trickle in the POST), POST it as application/sdp, require 201, set the answer.
 */
import type { Browser, Page } from 'playwright-core';

/** What the server answered to a POSTed offer. */
export interface OfferAnswer {
  /** The SDP answer as the server sent it (before any `dropUdpCandidates` filtering). */
  readonly answer: string;
  /** The session's URL (`Location`, relative to the page) and `ETag`, '' when absent. */
  readonly location: string;
  readonly etag: string;
}

/** The helpers the init script installs. */
export interface WhipWhepHelpers {
  /** Resolves once `pc` has gathered its ICE candidates (the offer then holds them all). */
  iceGathered(pc: RTCPeerConnection): Promise<void>;
  /**
   * Offers `pc` to a WHIP or WHEP endpoint and sets the answer; throws with the status and body unless 201.
   * `dropUdpCandidates` removes the answer's UDP candidates, so only ICE-TCP can connect.
   */
  offer(pc: RTCPeerConnection, url: string, o?: { dropUdpCandidates?: boolean }): Promise<OfferAnswer>;
}

/** `window` on a page from `webrtcPage()`. */
export interface WhipWhepWindow {
  readonly whipWhep: WhipWhepHelpers;
}

/** Runs in the page (serialized by playwright: it may use nothing from this module's scope). */
function installWhipWhep(): void {
  const iceGathered = (pc: RTCPeerConnection) =>
    new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    });
  const helpers: WhipWhepHelpers = {
    iceGathered,
    async offer(pc, url, o) {
      await pc.setLocalDescription(await pc.createOffer());
      await iceGathered(pc);
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp' },
        body: pc.localDescription!.sdp,
      });
      if (res.status !== 201)
        throw new Error(`${new URL(url, location.href).pathname} ${res.status}: ${await res.text()}`);
      const answer = await res.text();
      const sdp = o?.dropUdpCandidates
        ? answer
            .split('\r\n')
            .filter((l) => !/^a=candidate:\S+ \d+ udp /i.test(l))
            .join('\r\n')
        : answer;
      await pc.setRemoteDescription({ type: 'answer', sdp });
      return { answer, location: res.headers.get('location') ?? '', etag: res.headers.get('etag') ?? '' };
    },
  };
  Object.assign(window, { whipWhep: helpers });
}

/** A new page of `browser` at `url` (any page of the server under test, for same-origin fetches) with the helpers. */
export async function webrtcPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  await page.addInitScript(installWhipWhep);
  await page.goto(url);
  return page;
}
