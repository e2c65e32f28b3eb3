/**
 * Bringing a RAK module into LoRa P2P continuous receive, after every open of its port, and sending a downlink
 * through it. One small interface, two modules (shared/reference/rak-rui3-at.md):
 *
 * RUI3 (RAK3172 ...): wake it (`AT` until OK; after half the wake time `ATZ`, for a module that hangs), `AT+NWM=?`
 * and only if it is not in P2P `AT+NWM=0` (the module restarts and prints `Current Work Mode: LoRa P2P.`),
 * `AT+PRECV=0` (a module still receiving from an earlier run refuses settings with AT_BUSY_ERROR), `AT+P2P=...`,
 * `AT+PRECV=65533` (continuous receive that still allows AT+PSEND). Downlink: `AT+PSEND=<hex>`, OK, then
 * `+EVT:TXP2P DONE` after the airtime.
 *
 * RAK811 (AT firmware V3): wake with `at+version`, `at+set_config=lora:work_mode:1` (it restarts and answers
 * `Initialization OK`), `at+set_config=lorap2p:<Hz>:<sf>:<bw>:<cr>:<preamble>:<dBm>`,
 * `at+set_config=lorap2p:transfer_mode:1` (receive). Downlink: transfer_mode:2, `at+send=lorap2p:<hex>`, back to 1.
 *
 * Every reply is checked; a failure is an AtError naming the command and what the module answered (or that it did
 * not answer within the command's timeout).
 */
import { p2pAirtimeMs } from '../../../../firmware/core/airtime.ts';
import type { P2PSettings } from '../../../../firmware/drivers/modem.ts';
import { p2pCommand } from '../../../../firmware/drivers/rui3/commands.ts';
import { toHex } from '../../../../payload-schema/generated/firmware/payload.js';
import { AtError, type AtSession } from './at-session.ts';
import { RAK811_P2P_LIMITS, RUI3_P2P_LIMITS } from './module-limits.ts';
import type { ModuleLine, ModuleLineParser } from './module-lines.ts';
import { describeRak811Status, Rak811LineParser } from './rak811-lines.ts';
import { Rui3LineParser } from './rui3-lines.ts';

export type ModuleKind = 'rui3' | 'rak811';

export interface SetupTimings {
  /** Reply to one command. */
  commandTimeoutMs: number;
  /** One probe while waiting for the module to answer at all. */
  probeTimeoutMs: number;
  /** How long a module may stay silent (booting, hung); a reset is tried after half of it. */
  wakeTimeoutMs: number;
  /** From a work-mode change to the module answering again. */
  bootTimeoutMs: number;
  /** Added to a downlink's airtime while waiting for the module to report it sent. */
  txMarginMs: number;
}

export const SETUP_TIMINGS: SetupTimings = {
  commandTimeoutMs: 2000,
  probeTimeoutMs: 500,
  wakeTimeoutMs: 6000,
  bootTimeoutMs: 5000,
  txMarginMs: 1000,
};

export interface SetupResult {
  /** The work mode had to be switched to P2P (the module restarted). */
  modeChanged: boolean;
  /** The module did not answer at first and was sent a reset. */
  resetSent: boolean;
}

export interface ModuleDriver {
  readonly kind: ModuleKind;
  /** Brings the module into P2P continuous receive with the settings. */
  configure(session: AtSession): Promise<SetupResult>;
  /** Sends one frame and resolves once it has gone out. */
  sendDownlink(session: AtSession, phyPayload: Uint8Array): Promise<void>;
  /** Whether the module still answers and (where it can tell) still receives; throws when it does not answer. */
  check(session: AtSession): Promise<boolean>;
  createParser(): ModuleLineParser;
  /** A status line with its meaning, for messages. */
  describeStatus(status: string): string;
}

export function createModuleDriver(kind: ModuleKind, p2p: P2PSettings, timings: Partial<SetupTimings> = {}): ModuleDriver {
  const t = { ...SETUP_TIMINGS, ...timings };
  return kind === 'rui3' ? new Rui3Driver(p2p, t) : new Rak811Driver(p2p, t);
}

/**
 * Probes until the module answers OK. An error status (noise glued to the probe) also shows it is alive: probe
 * again. Returns whether a reset had to be sent.
 *
 * A module that was slow (booting) may still answer a probe that timed out: that late reply is taken by the next
 * probe, whose own reply would then be taken by the next command, shifting every reply by one (an ERROR would land
 * on the wrong command). So after a timed-out probe the line is left quiet for a probe's time once the module
 * answered: a late reply arrives then with no command waiting and is dropped.
 */
async function wake(session: AtSession, probe: string, reset: string, t: SetupTimings): Promise<boolean> {
  const start = Date.now();
  let resetSent = false;
  let timedOut = false;
  for (;;) {
    // ends whatever partial line the module holds (noise from plugging in, a command cut by a reopen)
    session.send('\r\n');
    try {
      const reply = await session.command(probe, t.probeTimeoutMs);
      if (reply.ok) {
        if (timedOut) await new Promise((resolve) => setTimeout(resolve, t.probeTimeoutMs));
        return resetSent;
      }
    } catch (err) {
      if (!(err instanceof AtError) || err.problem !== 'timeout') throw err;
      timedOut = true;
    }
    const elapsed = Date.now() - start;
    if (elapsed >= t.wakeTimeoutMs) {
      throw new AtError(probe, 'timeout', `no answer to ${probe} within ${t.wakeTimeoutMs} ms (module powered, on this port, at this baud rate?)`);
    }
    if (!resetSent && elapsed >= t.wakeTimeoutMs / 2) {
      session.send(reset + '\r\n');
      resetSent = true;
    }
  }
}

class Rui3Driver implements ModuleDriver {
  readonly kind = 'rui3';

  constructor(
    private readonly p2p: P2PSettings,
    private readonly t: SetupTimings,
  ) {}

  configure(session: AtSession): Promise<SetupResult> {
    return session.exclusive(async () => {
      const t = this.t;
      const resetSent = await wake(session, 'AT', 'ATZ', t);
      const query = await session.expectOk('AT+NWM=?', t.commandTimeoutMs);
      const mode = query.lines.map((l) => /^AT\+NWM=([0-9])$/.exec(l)?.[1]).find((m) => m !== undefined);
      if (mode === undefined) throw new AtError('AT+NWM=?', 'refused', `AT+NWM=? gave no work mode (lines: ${JSON.stringify(query.lines)})`, query);
      const modeChanged = mode !== '0';
      if (modeChanged) {
        const banner = session.waitFor((l) => l.kind === 'banner', t.bootTimeoutMs, 'banner after AT+NWM=0 (the module restarts)');
        try {
          await session.expectOk('AT+NWM=0', t.commandTimeoutMs);
        } catch (err) {
          banner.cancel();
          throw err;
        }
        const line = await banner.promise;
        if (line.kind === 'banner' && line.p2p === false) {
          throw new AtError('AT+NWM=0', 'refused', `after AT+NWM=0 the module restarted in another mode: ${JSON.stringify(line.text)}`);
        }
        await wake(session, 'AT', 'ATZ', t);
      }
      await session.expectOk('AT+PRECV=0', t.commandTimeoutMs);
      await session.expectOk(p2pCommand(this.p2p), t.commandTimeoutMs);
      await session.expectOk('AT+PRECV=65533', t.commandTimeoutMs);
      return { modeChanged, resetSent };
    });
  }

  sendDownlink(session: AtSession, phyPayload: Uint8Array): Promise<void> {
    const tooLong = checkDownlinkLength(phyPayload, RUI3_P2P_LIMITS.maxDownlinkBytes, 'RUI3');
    if (tooLong) return Promise.reject(tooLong);
    return session.exclusive(async () => {
      const sent = session.waitFor(isTxDone, Math.ceil(p2pAirtimeMs(this.p2p, phyPayload.length)) + this.t.txMarginMs, '+EVT:TXP2P DONE');
      try {
        await session.expectOk('AT+PSEND=' + toHex(phyPayload), this.t.commandTimeoutMs);
      } catch (err) {
        sent.cancel();
        throw err;
      }
      await sent.promise;
    });
  }

  check(session: AtSession): Promise<boolean> {
    return session.exclusive(async () => {
      const reply = await session.expectOk('AT+PRECV=?', this.t.commandTimeoutMs);
      return reply.lines.includes('P2P_RX_ON');
    });
  }

  createParser(): ModuleLineParser {
    return new Rui3LineParser();
  }

  describeStatus(status: string): string {
    return status;
  }
}

const RAK811_BANDWIDTH: Record<P2PSettings['bwKhz'], number> = { 125: 0, 250: 1, 500: 2 };

class Rak811Driver implements ModuleDriver {
  readonly kind = 'rak811';

  constructor(
    private readonly p2p: P2PSettings,
    private readonly t: SetupTimings,
  ) {}

  configure(session: AtSession): Promise<SetupResult> {
    return session.exclusive(async () => {
      const t = this.t;
      const s = this.p2p;
      const resetSent = await wake(session, 'at+version', 'at+set_config=device:restart', t);
      // the module restarts and answers `Initialization OK` once it is back
      await session.expectOk('at+set_config=lora:work_mode:1', t.bootTimeoutMs);
      await wake(session, 'at+version', 'at+set_config=device:restart', t);
      await session.expectOk(`at+set_config=lorap2p:${s.freqHz}:${s.sf}:${RAK811_BANDWIDTH[s.bwKhz]}:${s.cr}:${s.preamble}:${s.txPowerDbm}`, t.commandTimeoutMs);
      await session.expectOk('at+set_config=lorap2p:transfer_mode:1', t.commandTimeoutMs);
      return { modeChanged: true, resetSent };
    });
  }

  sendDownlink(session: AtSession, phyPayload: Uint8Array): Promise<void> {
    const tooLong = checkDownlinkLength(phyPayload, RAK811_P2P_LIMITS.maxDownlinkBytes, 'RAK811');
    if (tooLong) return Promise.reject(tooLong);
    return session.exclusive(async () => {
      const t = this.t;
      await session.expectOk('at+set_config=lorap2p:transfer_mode:2', t.commandTimeoutMs);
      try {
        // a RAK811 answers OK only once the frame is out: wait for its airtime as well
        const sendTimeoutMs = t.commandTimeoutMs + Math.ceil(p2pAirtimeMs(this.p2p, phyPayload.length));
        await session.expectOk('at+send=lorap2p:' + toHex(phyPayload).toLowerCase(), sendTimeoutMs);
      } finally {
        // back to receiving whatever happened to the send
        await session.expectOk('at+set_config=lorap2p:transfer_mode:1', t.commandTimeoutMs);
      }
    });
  }

  /** RAK811 cannot say whether it receives: this only checks that it answers. */
  check(session: AtSession): Promise<boolean> {
    return session.exclusive(async () => {
      await session.expectOk('at+version', this.t.commandTimeoutMs);
      return true;
    });
  }

  createParser(): ModuleLineParser {
    return new Rak811LineParser();
  }

  describeStatus(status: string): string {
    return describeRak811Status(status);
  }
}

function checkDownlinkLength(phyPayload: Uint8Array, maxBytes: number, module: string): RangeError | undefined {
  if (phyPayload.length >= 1 && phyPayload.length <= maxBytes) return undefined;
  return new RangeError(`a ${module} P2P downlink has 1..${maxBytes} bytes, not ${phyPayload.length}`);
}

function isTxDone(line: ModuleLine): boolean {
  return line.kind === 'event' && line.event === 'tx-done';
}
