import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLineBadgeReader } from '../../../firmware/timeclock/terminal/readers/line-reader.ts';

async function feed(text: string, options = {}) {
  const input = new PassThrough();
  const reader = createLineBadgeReader(input, options);
  const uids: string[] = [];
  const refused: string[] = [];
  reader.onBadge((uid) => uids.push(Buffer.from(uid).toString('hex')));
  reader.onRejected((r) => refused.push(r.reason));
  // split mid-line on purpose: framing must not depend on chunk boundaries
  for (let i = 0; i < text.length; i += 5) input.write(text.slice(i, i + 5));
  input.end();
  await new Promise((resolve) => setImmediate(resolve));
  await reader.close();
  return { uids, refused, counts: reader.rejections() };
}

describe('stdin badge reader', () => {
  it('reads one card number per line, decimal or hex, CRLF or LF, skipping blank lines', async () => {
    const { uids, refused } = await feed('0077740828\r\n\n04a23b1d\n  1234567890  \n0411223344556A\n');
    expect(uids).toEqual(['04a23b1c', '04a23b1d', '499602d2', '0411223344556a']);
    expect(refused).toEqual([]);
  });

  it('refuses garbage with a counted reason and keeps reading', async () => {
    const { uids, refused, counts } = await feed('hello\n12 34\n04A23B1\n' + '7'.repeat(100) + '\n0077740828\n');
    expect(uids).toEqual(['04a23b1c']);
    expect(refused).toEqual(['not-a-number', 'not-a-number', 'bad-length', 'too-long']);
    expect(counts).toEqual({ 'not-a-number': 2, 'bad-length': 1, 'too-long': 1 });
  });

  it('applies the byte-order setting', async () => {
    const { uids } = await feed('0473670148\n', { byteOrder: 'reversed' });
    expect(uids).toEqual(['04a23b1c']);
  });
});
