/** The core's HMAC, clock and timers on Node, and the pseudonym they give (RFC 4231 vectors). */
import { describe, expect, it } from 'vitest';
import { badgePseudonym } from '../../../firmware/timeclock/core/pseudonym.ts';
import { nodePseudonymHmac, nodeTimers, systemClock } from '../../../firmware/timeclock/terminal/node-platform.ts';

describe('the pseudonym with node:crypto', () => {
  it('is the first 4 bytes of HMAC-SHA256 in lower-case hex (RFC 4231 test cases 1 and 2)', () => {
    const case1 = nodePseudonymHmac(new Uint8Array(20).fill(0x0b));
    expect(Buffer.from(case1.hmacSha256(new TextEncoder().encode('Hi There'))).toString('hex')).toBe('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
    expect(badgePseudonym(case1, new TextEncoder().encode('Hi There'))).toBe('b0344c61');
    const case2 = nodePseudonymHmac(new TextEncoder().encode('Jefe'));
    expect(badgePseudonym(case2, new TextEncoder().encode('what do ya want for nothing?'))).toBe('5bdcc146');
  });

  it('differs between keys for the same UID', () => {
    const uid = new Uint8Array([4, 0xa1, 0xb2, 0xc3]);
    expect(badgePseudonym(nodePseudonymHmac(new Uint8Array(32).fill(1)), uid)).not.toBe(badgePseudonym(nodePseudonymHmac(new Uint8Array(32).fill(2)), uid));
  });
});

describe('the system clock', () => {
  it('is synchronised as timesyncd says, and as configured when timesyncd cannot tell', () => {
    expect(systemClock({ check: () => true }).synchronised()).toBe(true);
    expect(systemClock({ check: () => false, trustWithoutTimesyncd: true }).synchronised()).toBe(false);
    expect(systemClock({ check: () => null }).synchronised()).toBe(false);
    expect(systemClock({ check: () => null, trustWithoutTimesyncd: true }).synchronised()).toBe(true);
  });

  it('gives Unix seconds', () => {
    expect(Math.abs(systemClock({ check: () => true }).now() - Date.now() / 1000)).toBeLessThan(1);
  });

  it('has timers and a monotonic clock', async () => {
    const start = nodeTimers.monotonicMs();
    await new Promise<void>((resolve) => nodeTimers.setTimeout(resolve, 20));
    expect(nodeTimers.monotonicMs() - start).toBeGreaterThanOrEqual(19);
    let fired = false;
    const handle = nodeTimers.setTimeout(() => (fired = true), 5);
    nodeTimers.clearTimeout(handle);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toBe(false);
  });
});
