/**
 * The simulated RAK3172 (RUI3) on its UART: framing, status strings, settings and keys, reboot, sleep and the fault
 * hooks, line by line as shared/reference/rak-rui3-at.md describes them.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedRak3172, type SimulatedRak3172Options } from '../../tools/simulator/devices/rak3172.ts';
import { SerialTerminal } from '../../tools/simulator/terminal.ts';
import { RadioMediumSim } from '../../tools/simulator/radio/medium.ts';
import { VirtualScheduler } from '../../tools/simulator/scheduler.ts';

const BOOT_MS = 1000;

function setup(options: Partial<SimulatedRak3172Options> = {}): { scheduler: VirtualScheduler; modem: SimulatedRak3172; term: SerialTerminal } {
  const scheduler = new VirtualScheduler({ seed: 3 });
  const medium = new RadioMediumSim(scheduler, { propagation: { shadowingDb: 0 } });
  const modem = new SimulatedRak3172({ id: 'node', position: { x: 0, y: 0 }, medium, ...options });
  const term = new SerialTerminal(modem, scheduler);
  scheduler.runFor(BOOT_MS + 10);
  return { scheduler, modem, term };
}

describe('start-up and framing', () => {
  it('prints the work-mode banner after booting and ignores what arrives before', () => {
    const scheduler = new VirtualScheduler({ seed: 1 });
    const medium = new RadioMediumSim(scheduler);
    const modem = new SimulatedRak3172({ id: 'n', position: { x: 0, y: 0 }, medium });
    const term = new SerialTerminal(modem, scheduler);
    expect(term.command('AT', 500)).toEqual([]);
    expect(term.wait(600)).toEqual(['Current Work Mode: LoRaWAN.']);
    expect(term.lines[0]!.atMs).toBe(BOOT_MS);
    expect(term.command('AT')).toEqual(['OK']);
  });

  it('answers AT with OK\\r\\n and nothing else: echo is off', () => {
    const { term } = setup();
    const before = term.raw.length;
    term.command('AT');
    expect(term.raw.slice(before)).toBe('OK\r\n');
  });

  it('accepts \\r or \\n as line end, ignores blank lines and reads names case-insensitively', () => {
    const { term, scheduler } = setup();
    const from = term.lines.length;
    term.write('\r\n\r\n', '');
    term.write('at+ver=?', '\n');
    term.write('At+NjS=?', '\r');
    scheduler.runFor(100);
    expect(term.lines.slice(from).map((l) => l.text)).toEqual(['AT+VER=3.2.0-p2_22q1_final.87', 'OK', 'AT+NJS=0', 'OK']);
  });

  it('handles commands one at a time, a few milliseconds each, longer when flash is written', () => {
    const { term, scheduler } = setup({ replyDelayMs: 4, flashWriteMs: 20 });
    const t0 = scheduler.now();
    term.write('AT');
    term.write('AT+DR=3');
    term.write('AT+DR=?');
    scheduler.runFor(100);
    const tail = term.lines.slice(-4);
    expect(tail.map((l) => l.text)).toEqual(['OK', 'OK', 'AT+DR=3', 'OK']);
    expect(tail.map((l) => l.atMs - t0)).toEqual([4, 28, 32, 32]);
  });

  it('can frame status lines with blank lines, as some builds do', () => {
    const { term } = setup({ blankLinesAroundStatus: true });
    const before = term.raw.length;
    term.command('AT+NJS=?');
    expect(term.raw.slice(before)).toBe('AT+NJS=0\r\n\r\nOK\r\n');
  });
});

describe('status strings', () => {
  it('reports unknown commands, empty values, overlong names and read-only writes', () => {
    const { term } = setup();
    expect(term.command('AT+FOO=1')).toEqual(['AT_COMMAND_NOT_FOUND']);
    expect(term.command('HELLO')).toEqual(['AT_COMMAND_NOT_FOUND']);
    expect(term.command('AT+DEVEUI=')).toEqual(['AT_PARAM_ERROR']);
    expect(term.command('AT+' + 'X'.repeat(40))).toEqual(['AT_ERROR']);
    expect(term.command('AT+NJS=1')).toEqual(['AT_PARAM_ERROR']);
    expect(term.command('AT+SEND=?')).toEqual(['AT_PARAM_ERROR']);
    expect(term.command('AT+VER')).toEqual(['AT_PARAM_ERROR']);
  });

  it('refuses LoRaWAN commands in P2P mode and P2P commands in LoRaWAN mode', () => {
    const { term } = setup();
    expect(term.command('AT+PSEND=1234')).toEqual(['AT_MODE_NO_SUPPORT']);
    expect(term.command('AT+PRECV=0')).toEqual(['AT_MODE_NO_SUPPORT']);
    expect(term.command('AT+NWM=0', BOOT_MS + 100)).toEqual(['OK', 'Current Work Mode: LoRa P2P.']);
    expect(term.command('AT+SEND=1:1234')).toEqual(['AT_MODE_NO_SUPPORT']);
    expect(term.command('AT+JOIN')).toEqual(['AT_MODE_NO_SUPPORT']);
    expect(term.command('AT+DEVEUI=?')).toEqual(['AT_MODE_NO_SUPPORT']);
    expect(term.command('AT+NWM=?')).toEqual(['AT+NWM=0', 'OK']);
    expect(term.command('AT+NWM=1', BOOT_MS + 100)).toEqual(['OK', 'Current Work Mode: LoRaWAN.']);
    expect(term.command('AT+NWM=3')).toEqual(['AT_PARAM_ERROR']);
    expect(term.command('AT+NWM=01')).toEqual(['AT_PARAM_ERROR']);
  });

  it('prints a usage line for AT+XXX?', () => {
    const { term } = setup();
    expect(term.command('AT+DEVEUI?')).toEqual(['AT+DEVEUI,RW: get or set the device EUI (8 bytes in hex)', 'OK']);
    const all = term.command('AT?');
    expect(all[0]).toBe('AT+<CMD>?: help on <CMD>');
    expect(all).toContain('AT+NJS,R: get the join status (0 = not joined, 1 = joined)');
    expect(all[all.length - 1]).toBe('OK');
  });
});

describe('general commands', () => {
  it('reports version and battery voltage', () => {
    const { term } = setup({ version: '4.0.6', batteryVolts: 3.05 });
    expect(term.command('AT+VER=?')).toEqual(['AT+VER=4.0.6', 'OK']);
    expect(term.command('AT+BAT=?')).toEqual(['AT+BAT=3.050000', 'OK']);
  });

  it('toggles echo with ATE', () => {
    const { term } = setup();
    expect(term.command('ATE')).toEqual(['OK']);
    expect(term.command('AT+CLASS=?')).toEqual(['AT+CLASS=?', 'AT+CLASS=A', 'OK']);
    expect(term.command('ATE')).toEqual(['ATE', 'OK']);
    expect(term.command('AT')).toEqual(['OK']);
  });

  it('sleeps for the given time and answers OK on waking; a new line wakes it early', () => {
    const { term, scheduler } = setup();
    expect(term.command('AT+SLEEP=0')).toEqual(['AT_PARAM_ERROR']);
    expect(term.command('AT+SLEEP=abc')).toEqual(['AT_PARAM_ERROR']);
    expect(term.command('AT+SLEEP=4294967296')).toEqual(['AT_PARAM_ERROR']);
    const t0 = scheduler.now();
    expect(term.command('AT+SLEEP=2000', 1000)).toEqual([]);
    const woke = term.waitFor('OK', 2000);
    expect(woke!.atMs - t0).toBe(2004);
    expect(term.command('AT+SLEEP', 60_000)).toEqual([]);
    expect(term.command('AT')).toEqual(['OK', 'OK']);
  });

  it('switches its low-power mode with AT+LPM (0 off, 1 on), in both work modes, and counts the time it is on', () => {
    const { term, scheduler, modem } = setup();
    expect(term.command('AT+LPM=?')).toEqual(['AT+LPM=0', 'OK']);
    expect(term.command('AT+LPM=2')).toEqual(['AT_PARAM_ERROR']);
    expect(term.command('AT+LPM=')).toEqual(['AT_PARAM_ERROR']);
    expect(term.command('AT+LPM=1')).toEqual(['OK']);
    expect(modem.lowPowerMode).toBe(true);
    expect(term.command('AT+LPM=?')).toEqual(['AT+LPM=1', 'OK']);
    const before = modem.lowPowerModeMs;
    expect(before).toBeGreaterThan(0);
    scheduler.runFor(5000);
    expect(modem.lowPowerModeMs - before).toBe(5000);
    // a restart leaves it off (the driver sets it again); the time so far stays counted
    term.command('ATZ', BOOT_MS + 100);
    const counted = modem.lowPowerModeMs;
    expect(modem.lowPowerMode).toBe(false);
    expect(term.command('AT+LPM=?')).toEqual(['AT+LPM=0', 'OK']);
    scheduler.runFor(1000);
    expect(modem.lowPowerModeMs).toBe(counted);
    expect(term.command('AT+NWM=0', BOOT_MS + 100)).toContain('Current Work Mode: LoRa P2P.');
    expect(term.command('AT+LPM=1')).toEqual(['OK']);
  });

  it('reboots on ATZ without a status line, keeps settings and loses the session', () => {
    const { term } = setup();
    expect(term.command('AT+NJM=0')).toEqual(['OK']);
    expect(term.command('AT+NJS=?')).toEqual(['AT+NJS=1', 'OK']);
    expect(term.command('AT+NJM=1')).toEqual(['OK']);
    expect(term.command('AT+NJS=?')).toEqual(['AT+NJS=0', 'OK']);
    expect(term.command('AT+DR=5')).toEqual(['OK']);
    expect(term.command('ATZ', 500)).toEqual([]);
    expect(term.command('AT', 200)).toEqual([]); // still booting: not heard
    expect(term.wait(400)).toEqual(['Current Work Mode: LoRaWAN.']);
    expect(term.command('AT+DR=?')).toEqual(['AT+DR=5', 'OK']);
  });
});

describe('keys and LoRaWAN settings', () => {
  const KEYS: [string, number][] = [
    ['DEVEUI', 16],
    ['APPEUI', 16],
    ['APPKEY', 32],
    ['APPSKEY', 32],
    ['NWKSKEY', 32],
    ['DEVADDR', 8],
  ];

  it.each(KEYS)('AT+%s takes exactly %i hex digits and reads back upper case', (name, digits) => {
    const { term } = setup();
    const value = 'a1b2c3d4e5f60718293a4b5c6d7e8f90'.slice(0, digits);
    expect(term.command(`AT+${name}=${value}`)).toEqual(['OK']);
    expect(term.command(`at+${name.toLowerCase()}=?`)).toEqual([`AT+${name}=${value.toUpperCase()}`, 'OK']);
    expect(term.command(`AT+${name}=${value}0`)).toEqual(['AT_PARAM_ERROR']);
    expect(term.command(`AT+${name}=${value.slice(1)}`)).toEqual(['AT_PARAM_ERROR']);
    expect(term.command(`AT+${name}=${'G' + value.slice(1)}`)).toEqual(['AT_PARAM_ERROR']);
    expect(term.command(`AT+${name}=?`)).toEqual([`AT+${name}=${value.toUpperCase()}`, 'OK']);
  });

  it('has RUI3 defaults and checks the ranges of NJM, CLASS, DR, ADR, CFM, RETY and BAND', () => {
    const { term } = setup();
    expect(term.command('AT+NJM=?')).toEqual(['AT+NJM=1', 'OK']);
    expect(term.command('AT+CLASS=?')).toEqual(['AT+CLASS=A', 'OK']);
    expect(term.command('AT+DR=?')).toEqual(['AT+DR=0', 'OK']);
    expect(term.command('AT+ADR=?')).toEqual(['AT+ADR=1', 'OK']);
    expect(term.command('AT+CFM=?')).toEqual(['AT+CFM=0', 'OK']);
    expect(term.command('AT+BAND=?')).toEqual(['AT+BAND=4', 'OK']);
    expect(term.command('AT+JOIN=?')).toEqual(['AT+JOIN=0:0:8:0', 'OK']);
    const cases: [string, string][] = [
      ['AT+NJM=2', 'AT_PARAM_ERROR'],
      ['AT+CLASS=C', 'OK'],
      ['AT+CLASS=D', 'AT_PARAM_ERROR'],
      ['AT+CLASS=AB', 'AT_PARAM_ERROR'],
      ['AT+DR=5', 'OK'],
      ['AT+DR=6', 'AT_PARAM_ERROR'],
      ['AT+DR=x', 'AT_PARAM_ERROR'],
      ['AT+ADR=0', 'OK'],
      ['AT+ADR=2', 'AT_PARAM_ERROR'],
      ['AT+CFM=1', 'OK'],
      ['AT+CFM=-1', 'AT_PARAM_ERROR'],
      ['AT+RETY=7', 'OK'],
      ['AT+RETY=8', 'AT_PARAM_ERROR'],
      ['AT+BAND=12', 'OK'],
      ['AT+BAND=13', 'AT_PARAM_ERROR'],
      ['AT+BAND=4', 'OK'],
      ['AT+DR=1:2', 'AT_PARAM_ERROR'],
    ];
    for (const [command, status] of cases) expect([command, term.command(command)]).toEqual([command, [status]]);
    expect(term.command('AT+CLASS=?')).toEqual(['AT+CLASS=C', 'OK']);
    expect(term.command('AT+CFM=?')).toEqual(['AT+CFM=1', 'OK']);
  });

  it('checks AT+SEND and AT+JOIN arguments before anything else', () => {
    const { term } = setup();
    const cases: [string, string][] = [
      ['AT+SEND=0:1234', 'AT_PARAM_ERROR'],
      ['AT+SEND=224:1234', 'AT_PARAM_ERROR'],
      ['AT+SEND=1:123', 'AT_PARAM_ERROR'],
      ['AT+SEND=1:12G4', 'AT_PARAM_ERROR'],
      ['AT+SEND=1', 'AT_PARAM_ERROR'],
      ['AT+SEND=1:' + '00'.repeat(251), 'AT_PARAM_ERROR'],
      ['AT+SEND=1:1234', 'AT_NO_NETWORK_JOINED'],
      ['AT+SEND=223:' + '00'.repeat(250), 'AT_NO_NETWORK_JOINED'],
      ['AT+JOIN=2', 'AT_PARAM_ERROR'],
      ['AT+JOIN=1:2', 'AT_PARAM_ERROR'],
      ['AT+JOIN=1:0:6', 'AT_PARAM_ERROR'],
      ['AT+JOIN=1:0:256', 'AT_PARAM_ERROR'],
      ['AT+JOIN=1:0:8:256', 'AT_PARAM_ERROR'],
      ['AT+JOIN=1:0:8:1:1', 'AT_PARAM_ERROR'],
      ['AT+JOIN=0:1:30:3', 'OK'],
    ];
    for (const [command, status] of cases) expect([command, term.command(command)]).toEqual([command, [status]]);
    expect(term.command('AT+JOIN=?')).toEqual(['AT+JOIN=0:1:30:3', 'OK']);
    expect(term.command('AT+RECV=?')).toEqual(['AT+RECV=0:', 'OK']);
  });
});

describe('P2P settings', () => {
  function p2p(options: Partial<SimulatedRak3172Options> = {}): ReturnType<typeof setup> {
    return setup({ workMode: 'p2p', ...options });
  }

  it('has the RUI3 defaults and reads them back in one line', () => {
    const { term } = p2p();
    expect(term.command('AT+P2P=?')).toEqual(['AT+P2P=868000000:7:125:0:8:14', 'OK']);
    expect(term.command('AT+PFREQ=?')).toEqual(['AT+PFREQ=868000000', 'OK']);
    expect(term.command('AT+PSF=?')).toEqual(['AT+PSF=7', 'OK']);
  });

  it('checks every P2P setting against its range', () => {
    const { term } = p2p();
    const cases: [string, string][] = [
      ['AT+PFREQ=149999999', 'AT_PARAM_ERROR'],
      ['AT+PFREQ=960000001', 'AT_PARAM_ERROR'],
      ['AT+PFREQ=869525000', 'OK'],
      ['AT+PSF=4', 'AT_PARAM_ERROR'],
      ['AT+PSF=13', 'AT_PARAM_ERROR'],
      ['AT+PSF=12', 'OK'],
      ['AT+PBW=126', 'AT_PARAM_ERROR'],
      ['AT+PBW=10', 'AT_PARAM_ERROR'],
      ['AT+PBW=250', 'OK'],
      ['AT+PCR=4', 'AT_PARAM_ERROR'],
      ['AT+PCR=3', 'OK'],
      ['AT+PPL=4', 'AT_PARAM_ERROR'],
      ['AT+PPL=65536', 'AT_PARAM_ERROR'],
      ['AT+PPL=12', 'OK'],
      ['AT+PTP=4', 'AT_PARAM_ERROR'],
      ['AT+PTP=23', 'AT_PARAM_ERROR'],
      ['AT+PTP=22', 'OK'],
    ];
    for (const [command, status] of cases) expect([command, term.command(command)]).toEqual([command, [status]]);
    expect(term.command('AT+P2P=?')).toEqual(['AT+P2P=869525000:12:250:3:12:22', 'OK']);
    expect(term.command('AT+P2P=868100000:9:125:1:8:14')).toEqual(['OK']);
    expect(term.command('AT+P2P=?')).toEqual(['AT+P2P=868100000:9:125:1:8:14', 'OK']);
    expect(term.command('AT+P2P=868100000:13:125:1:8:14')).toEqual(['AT_PARAM_ERROR']);
    expect(term.command('AT+P2P=868100000:9:125:1:8')).toEqual(['AT_PARAM_ERROR']);
    expect(term.command('AT+P2P=?')).toEqual(['AT+P2P=868100000:9:125:1:8:14', 'OK']);
  });

  it('accepts bandwidth codes and reads them back in kHz, or as codes like RUI 5', () => {
    const kHz = p2p();
    expect(kHz.term.command('AT+PBW=2')).toEqual(['OK']);
    expect(kHz.term.command('AT+PBW=?')).toEqual(['AT+PBW=500', 'OK']);
    const codes = p2p({ bandwidthAsCode: true });
    expect(codes.term.command('AT+PBW=250')).toEqual(['OK']);
    expect(codes.term.command('AT+PBW=?')).toEqual(['AT+PBW=1', 'OK']);
  });

  it('checks AT+PSEND and AT+PRECV arguments', () => {
    const { term } = p2p();
    expect(term.command('AT+PSEND=123')).toEqual(['AT_PARAM_ERROR']);
    expect(term.command('AT+PSEND=XY')).toEqual(['AT_PARAM_ERROR']);
    expect(term.command('AT+PSEND=' + 'AB'.repeat(240))).toEqual(['AT_PARAM_ERROR']);
    expect(term.command('AT+PRECV=65536')).toEqual(['AT_PARAM_ERROR']);
    expect(term.command('AT+PRECV=-1')).toEqual(['AT_PARAM_ERROR']);
    expect(term.command('AT+PRECV=?')).toEqual(['P2P_RX_OFF', 'OK']);
  });
});

describe('faults', () => {
  it('mute(): no answers at all until ATZ', () => {
    const { term, modem } = setup();
    modem.mute();
    expect(term.command('AT', 1000)).toEqual([]);
    expect(term.command('AT+VER=?', 1000)).toEqual([]);
    expect(term.command('ATZ', BOOT_MS + 100)).toEqual(['Current Work Mode: LoRaWAN.']);
    expect(term.command('AT')).toEqual(['OK']);
  });

  it('mute(): a reset pulse brings it back', () => {
    const { term, modem } = setup();
    modem.mute();
    expect(term.command('AT', 1000)).toEqual([]);
    modem.hardReset();
    expect(term.wait(BOOT_MS + 10)).toEqual(['Current Work Mode: LoRaWAN.']);
    expect(term.command('AT')).toEqual(['OK']);
    expect(modem.stats.reboots).toBe(2);
  });

  it('puts garbage on the line, on demand and before the banner', () => {
    const { term, modem } = setup({ bootGarbageBytes: 5 });
    expect(term.raw.indexOf('\r\nCurrent Work Mode')).toBe(5);
    const before = term.raw.length;
    modem.sendGarbage(Uint8Array.of(0x00, 0xff, 0x41));
    expect(term.raw.slice(before)).toBe('\u0000\u00ffA');
    modem.sendGarbage(32);
    expect(term.raw.length - before).toBe(35);
    expect(modem.stats.garbageBytes).toBe(40);
  });

  it('counts commands and unknown commands', () => {
    const { term, modem } = setup();
    term.command('AT');
    term.command('AT+NOPE');
    expect(modem.stats.commands).toBe(2);
    expect(modem.stats.unknownCommands).toBe(1);
  });
});
