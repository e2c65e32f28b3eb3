/**
 * The badge list from a file (config badgeListFile), as a LoRa-only site gets it: the real terminal (startTerminal,
 * SQLite outbox) with no ledger reachable takes the file's list at start, takes a newer export when the file
 * changes, ignores an older or a broken one, and keeps the list in its outbox across a restart.
 * Also: `reader: { type: mfrc522 }` loads the MFRC522 reader; a missing SPI device is logged reader trouble.
 */
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BadgeListMessage } from '../../../firmware/timeclock/core/contracts.ts';
import { startTerminalService } from '../../../firmware/timeclock/terminal/run.ts';
import { startTerminal, type RunningTerminal } from '../../../firmware/timeclock/terminal/terminal.ts';
import { freePort } from '../../support/mosquitto.ts';
import { RecordingDisplay, tempDir, testTerminalConfig, waitFor } from './support.ts';

const UID_A = new Uint8Array([0x04, 0xa2, 0x3b, 0x1c]);
const UID_B = new Uint8Array([0x04, 0x11, 0x22, 0x33]);

let temp: ReturnType<typeof tempDir>;
const running: RunningTerminal[] = [];
beforeEach(() => {
  temp = tempDir();
});
afterEach(async () => {
  for (const t of running.splice(0)) await t.close();
  temp.remove();
});

describe('badge list file', () => {
  it('is taken at start, again when a newer export replaces it, never when older or broken, and kept across a restart', async () => {
    const file = `${temp.dir}/badges.json`;
    const logs: string[] = [];
    const start = async (): Promise<{ terminal: RunningTerminal; display: RecordingDisplay }> => {
      // no broker listens there: the file is the only source of the list
      const config = testTerminalConfig(temp.dir, { mqtt: { url: `mqtt://127.0.0.1:${await freePort()}` }, badgeListFile: 'badges.json' });
      const display = new RecordingDisplay();
      const terminal = startTerminal(config, { display, log: (level, message) => logs.push(`${level} ${message}`) }, { badgeListPollMs: 50 });
      running.push(terminal);
      return { terminal, display };
    };
    // the pseudonyms are computed by the terminal itself: learn them from the refusals
    writeFileSync(file, JSON.stringify({ version: 3, badges: [], revoked: [] }));
    const probe = await start();
    const badgeOf = (uid: Uint8Array): string => {
      const outcome = probe.terminal.tap(uid);
      if (outcome.result !== 'refused') throw new Error(`expected a refusal, got ${outcome.result}`);
      return outcome.badge;
    };
    const [a, b] = [badgeOf(UID_A), badgeOf(UID_B)];
    expect(probe.terminal.status().badgeListVersion).toBe(3);
    await probe.terminal.close();
    running.length = 0;

    const list = (version: number, badges: string[], revoked: string[] = []): BadgeListMessage => ({ version, badges: badges.map((badge) => ({ badge, greeting: `Hallo ${badge}` })), revoked });
    writeFileSync(file, JSON.stringify(list(5, [a])));
    const { terminal } = await start();
    expect(terminal.status().badgeListVersion).toBe(5);
    expect(terminal.tap(UID_A)).toMatchObject({ result: 'booked', greeting: `Hallo ${a}` });
    expect(terminal.tap(UID_B)).toMatchObject({ result: 'refused', reason: 'unknownBadge' });

    writeFileSync(file, JSON.stringify(list(6, [b], [a])));
    await waitFor(() => terminal.status().badgeListVersion === 6, 5000, 'version 6 from the file');
    expect(terminal.tap(UID_A)).toMatchObject({ result: 'refused', reason: 'revokedBadge' });
    expect(terminal.tap(UID_B)).toMatchObject({ result: 'booked' });

    writeFileSync(file, JSON.stringify(list(4, [a, b])) + '\n');
    writeFileSync(`${temp.dir}/marker`, '');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(terminal.status().badgeListVersion).toBe(6);
    writeFileSync(file, '{"version": 7, "badges": [{"badge": "NOT-HEX", "greeting": "x"}], "revoked": []}');
    await waitFor(() => logs.some((line) => line.includes('badge list file ignored') && line.includes('badges[0].badge is not 8 lower-case hex digits')), 5000, 'the warning');
    expect(terminal.status().badgeListVersion).toBe(6);
    await terminal.close();
    running.length = 0;

    // the file is broken now, but the outbox kept version 6
    const again = await start();
    expect(again.terminal.status().badgeListVersion).toBe(6);
    expect(logs.some((line) => line.includes('UID') || line.includes('04a23b1c'))).toBe(false);
  }, 30_000);
});

describe('reader type mfrc522', () => {
  it('loads the MFRC522 module when configured; a missing SPI device is reader trouble, logged, not fatal', async () => {
    const config = testTerminalConfig(temp.dir, { reader: { type: 'mfrc522', spiBus: 7, spiDevice: 7 }, kiosk: { port: 0 } });
    const logs: string[] = [];
    const service = await startTerminalService(config, { log: (level, message) => logs.push(`${level} ${message}`) });
    try {
      expect(logs.some((line) => line.includes('badge reader: MFRC522 on /dev/spidev7.7 at 1000000 Hz, no reset line, polled every 100 ms'))).toBe(true);
      await waitFor(() => logs.some((line) => line.startsWith('warn badge reader: ')), 10_000, 'the reader trouble in the log');
    } finally {
      await service.close();
    }
  });
});
