/**
 * The simulated world with a real bundle: small ES5 test programs (not the apps) read `ss.keys`, drive the modem on
 * the board profile's UART with AT commands, read the SHT3x on the profile's I2C bus and send ABP frames made with
 * lora-packet in Node (the test bundles have no AES). The gateway module, the network server, the sensors, the
 * battery divider, the modem's reset pin and `simulateScenario` are checked against what the bundle did.
 */
import loraPacketModule from 'lora-packet';
import { describe, expect, it } from 'vitest';
import { HOST_CONSOLE, type BoardProfile } from '../../hardware/boards/board-profile.ts';
import { codec } from '../../payload-schema/src/codec.ts';
import { loadBoard } from '../../tools/firmware-build/index.ts';
import { weatherAt, loadWeatherScenario, type WeatherScenario } from '../../tools/simulator/weather.ts';
import { createClimateWorld, type ClimateWorld } from '../../tools/simulator/world/climate-world.ts';
import { DEMO_LORAWAN_KEYS, DEMO_P2P_KEYS, type NodeKeys, type P2pKeys } from '../../tools/simulator/world/keys.ts';
import { P2P_DOWNLINK_DELAY_MS } from '../../tools/simulator/world/p2p-gateway.ts';
import { formatReport, shortForm, simulateScenario } from '../../tools/simulator/world/simulate.ts';

// lora-packet is CommonJS typed as an ES default export: at run time the default import is the API itself.
const loraPacket = loraPacketModule as unknown as typeof loraPacketModule.default;

const ROAD_CLIMATE_PORT = 20;
const DEVICE_CONFIG_PORT = 3;

const SAMPLE_READING = {
  air: { temperature: 2.4, relativeHumidity: 90 },
  surface: { temperature: -0.5 },
  iceRisk: 'watch',
  status: { airSensorFailed: false, surfaceSensorFailed: false, heaterOn: true },
  battery: 2.95,
};

function encodeReading(): Uint8Array {
  const encoded = codec.encode(ROAD_CLIMATE_PORT, SAMPLE_READING);
  if (!encoded.ok) throw encoded.error;
  return encoded.bytes;
}

/** An ABP uplink as the node firmware builds it, made with lora-packet in Node (the bundle has no AES). */
function abpUplink(keys: Pick<P2pKeys, 'devAddr' | 'nwkSKey' | 'appSKey'>, fCnt: number, port: number, payload: Uint8Array): string {
  const packet = loraPacket.fromFields(
    {
      MType: 'Unconfirmed Data Up',
      DevAddr: Buffer.from(keys.devAddr, 'hex'),
      FCtrl: { ADR: false, ACK: false, ADRACKReq: false, FPending: false },
      FCnt: fCnt,
      FPort: port,
      payload: Buffer.from(payload),
    },
    Buffer.from(keys.appSKey, 'hex'),
    Buffer.from(keys.nwkSKey, 'hex'),
  );
  return packet.getPHYPayload()!.toString('hex').toUpperCase();
}

/** Modem line handling and I2C reads shared by both bundles: `send(cmd, prefix, fn)`, `expectLine`, `readSht(addr)`. */
function common(profile: BoardProfile): string {
  return `
var keys = require('Storage').readJSON('ss.keys', true);
var modem = ${profile.modem.serial};
var buffered = '';
var waiting = null;
console.log('start ' + (keys ? keys.network : 'no keys'));
digitalWrite(${profile.modem.reset}, 1);
${HOST_CONSOLE[profile.espruinoBoard]}.setConsole(true);
modem.setup(${profile.modem.baud}, { rx: ${profile.modem.rx}, tx: ${profile.modem.tx} });
modem.on('data', function (data) {
  buffered += data;
  var end = buffered.indexOf('\\r\\n');
  while (end >= 0) {
    var line = buffered.substring(0, end);
    buffered = buffered.substring(end + 2);
    if (line.length > 0) {
      console.log('modem ' + line);
      if (waiting && line.indexOf(waiting.prefix) === 0) {
        var w = waiting;
        waiting = null;
        w.fn(line);
      }
    }
    end = buffered.indexOf('\\r\\n');
  }
});
function expectLine(prefix, fn) { waiting = { prefix: prefix, fn: fn }; }
function send(command, prefix, fn) { expectLine(prefix, fn); modem.write(command + '\\r\\n'); }
${profile.i2c.bus}.setup({ scl: ${profile.i2c.scl}, sda: ${profile.i2c.sda}, bitrate: ${profile.i2c.bitrate} });
function readSht(address) {
  ${profile.i2c.bus}.writeTo(address, [0x24, 0x00]);
  setTimeout(function () {
    var d = ${profile.i2c.bus}.readFrom(address, 6);
    var t = -45 + (175 * (d[0] * 256 + d[1])) / 65535;
    var h = (100 * (d[3] * 256 + d[4])) / 65535;
    console.log('sht ' + address + ' ' + t.toFixed(2) + ' ' + h.toFixed(2));
  }, 20);
}
`;
}

/**
 * P2P: switch the modem to P2P with the settings from ss.keys, read the air sensor, then send each frame and listen
 * 1 s for a downlink after each (logging `downlink <HEX>`).
 */
function p2pTestBundle(profile: BoardProfile, frames: string[]): string {
  return `${common(profile)}
var frames = ${JSON.stringify(frames)};
function p2pCommand(p) { return 'AT+P2P=' + [p.freqHz, p.sf, p.bwKhz, p.cr - 1, p.preamble, p.txPowerDbm].join(':'); }
function sendFrame(i) {
  if (i >= frames.length) { console.log('done'); return; }
  send('AT+PSEND=' + frames[i], '+EVT:TXP2P DONE', function () {
    send('AT+PRECV=1000', '+EVT:RXP2P', function (line) {
      if (line.indexOf('+EVT:RXP2P:') === 0) console.log('downlink ' + line.split(':')[4]);
      sendFrame(i + 1);
    });
  });
}
expectLine('Current Work Mode', function () {
  send('AT+NWM=0', 'Current Work Mode: LoRa P2P.', function () {
    send(p2pCommand(keys.p2p), 'OK', function () {
      readSht(0x44);
      setTimeout(function () { sendFrame(0); }, 100);
    });
  });
});
`;
}

/** LoRaWAN OTAA: keys from ss.keys to the modem, join at DR5, send one frame on `port`; the modem's lines are logged. */
function lorawanTestBundle(profile: BoardProfile, port: number, payloadHex: string): string {
  return `${common(profile)}
expectLine('Current Work Mode', function () {
  send('AT+DEVEUI=' + keys.devEui, 'OK', function () {
    send('AT+APPEUI=' + keys.appEui, 'OK', function () {
      send('AT+APPKEY=' + keys.appKey, 'OK', function () {
        send('AT+NJM=1', 'OK', function () {
          send('AT+ADR=0', 'OK', function () {
            send('AT+DR=5', 'OK', function () {
              send('AT+JOIN=1:0:8:0', '+EVT:JOINED', function () {
                // the join request closed the sub-band for 99 times its airtime (1 % duty cycle)
                setTimeout(function () {
                  send('AT+SEND=${port}:${payloadHex}', '+EVT:TX_DONE', function () { console.log('done'); });
                }, 10000);
              });
            });
          });
        });
      });
    });
  });
});
`;
}

// ------------------------------------------------------------------------------------------------------ the tests

const MDBT = 'mdbt42q-rak3172';
const FROST_NIGHT = loadWeatherScenario('frost-night');
const HEX_RE = /^downlink ([0-9A-F]+)$/;

/** A P2P frame signed with a key the gateway does not have. */
const FOREIGN_KEYS = { ...DEMO_P2P_KEYS, nwkSKey: '00112233445566778899AABBCCDDEEFF' };

/** Accepted, replayed, forged, accepted. */
function p2pFrames(): string[] {
  const reading = encodeReading();
  const first = abpUplink(DEMO_P2P_KEYS, 0, ROAD_CLIMATE_PORT, reading);
  return [first, first, abpUplink(FOREIGN_KEYS, 1, ROAD_CLIMATE_PORT, reading), abpUplink(DEMO_P2P_KEYS, 1, ROAD_CLIMATE_PORT, reading)];
}

function consoleTexts(world: ClimateWorld): string[] {
  return world.console.map((l) => l.text);
}

function p2pWorld(boardId: string, options: { scenario?: WeatherScenario; batteryVolts?: number; keys?: NodeKeys } = {}): ClimateWorld {
  const profile = loadBoard(boardId);
  return createClimateWorld({
    bundle: p2pTestBundle(profile, p2pFrames()),
    boardId,
    scenario: options.scenario ?? FROST_NIGHT,
    seed: 5,
    keys: options.keys ?? DEMO_P2P_KEYS,
    ...(options.batteryVolts !== undefined ? { batteryVolts: options.batteryVolts } : {}),
  });
}

/** The last `sht <address> <T> <RH>` console line of a sensor. */
function lastReading(world: ClimateWorld, address: number): { timeMs: number; temperature: number; humidity: number } {
  const line = world.console.filter((l) => l.text.startsWith(`sht ${address} `)).at(-1);
  if (!line) throw new Error(`no reading of ${address}`);
  const [, , t, h] = line.text.split(' ');
  return { timeMs: line.timeMs, temperature: Number(t), humidity: Number(h) };
}

describe.each([MDBT, 'pico-rak3172'])('a P2P node on %s', (boardId) => {
  const profile: BoardProfile = loadBoard(boardId);

  it('reaches the gateway module: MIC, frame counter and payload checked, replays and forgeries rejected', () => {
    const world = p2pWorld(boardId);
    expect(world.gateway!.modem.workMode).toBe('p2p');
    world.run(20_000);
    const texts = consoleTexts(world);
    expect(texts).toContain('start p2p');
    expect(texts).toContain('done');
    expect(world.consoleErrors()).toEqual([]);

    // The node's frames went out with the settings of ss.keys, and the gateway listened on them.
    const frames = world.medium.framesFrom('node');
    expect(frames).toHaveLength(4);
    for (const f of frames) expect(f).toMatchObject({ freqHz: 868100000, sf: 9, bwHz: 125000, cr: 1, preamble: 8, txPowerDbm: 14 });

    const expected = codec.decode(ROAD_CLIMATE_PORT, encodeReading());
    if (!expected.ok) throw expected.error;
    const ups = world.uplinks;
    expect(ups.map((u) => [u.fCnt, u.micOk, u.rejected, u.error])).toEqual([
      [0, true, false, undefined],
      [0, true, true, 'repeated FCnt'],
      [1, false, true, 'MIC mismatch'],
      [1, true, false, undefined],
    ]);
    for (const u of [ups[0]!, ups[3]!]) {
      expect(u).toMatchObject({ devAddr: DEMO_P2P_KEYS.devAddr, fPort: ROAD_CLIMATE_PORT, message: 'roadClimate' });
      expect(u.data).toEqual(expected.data);
      expect(Array.from(u.bytes)).toEqual(Array.from(encodeReading()));
    }
    // Each uplink arrives when its frame ends, with a link budget for 800 m (about -96 dBm without shadowing).
    ups.forEach((u, i) => {
      expect(u.timeMs).toBeCloseTo(frames[i]!.startMs + frames[i]!.airtimeMs, 6);
      expect(u.rssi).toBeGreaterThan(-115);
      expect(u.rssi).toBeLessThan(-80);
    });
  });

  it('puts the battery through the divider onto the ADC pin', () => {
    const world = p2pWorld(boardId, { batteryVolts: 3.1 });
    const { pin, r1Ohms, r2Ohms, vrefVolts } = profile.battery;
    const reading = world.board.evaluate(`analogRead(${pin})`) as number;
    const vref = world.board.evaluate('E.getAnalogVRef()') as number;
    expect(vref).toBe(vrefVolts);
    const pinVolts = reading * vref;
    expect(pinVolts).toBeCloseTo((3.1 * r2Ohms) / (r1Ohms + r2Ohms), 2);
    expect((pinVolts * (r1Ohms + r2Ohms)) / r2Ohms).toBeCloseTo(3.1, 2);
    world.batteryVolts = 2.2;
    const later = (world.board.evaluate(`analogRead(${pin})`) as number) * vref;
    expect((later * (r1Ohms + r2Ohms)) / r2Ohms).toBeCloseTo(2.2, 2);
  });
});

describe('downlinks', () => {
  it('P2P: the gateway module sends a codec-encoded ABP downlink into the receive window after the next uplink', () => {
    const world = p2pWorld(MDBT);
    const bytes = world.sendDownlink(DEVICE_CONFIG_PORT, { sendInterval: 600 });
    world.run(20_000);
    const sent = world.gateway!.downlinks;
    expect(sent).toHaveLength(1);
    expect(sent[0]!.timeMs).toBeCloseTo(world.uplinks[0]!.timeMs + P2P_DOWNLINK_DELAY_MS, 6);

    const received = consoleTexts(world)
      .map((t) => HEX_RE.exec(t)?.[1])
      .filter((h): h is string => h !== undefined);
    expect(received).toEqual([Buffer.from(sent[0]!.phyPayload).toString('hex').toUpperCase()]);

    const packet = loraPacket.fromWire(Buffer.from(received[0]!, 'hex'));
    const nwkSKey = Buffer.from(DEMO_P2P_KEYS.nwkSKey, 'hex');
    expect(packet.getMType()).toBe('Unconfirmed Data Down');
    expect(packet.DevAddr!.toString('hex').toUpperCase()).toBe(DEMO_P2P_KEYS.devAddr);
    expect(packet.getFCnt()).toBe(0);
    expect(loraPacket.verifyMIC(packet, nwkSKey)).toBe(true);
    const payload = loraPacket.decrypt(packet, Buffer.from(DEMO_P2P_KEYS.appSKey, 'hex'), nwkSKey);
    expect(Array.from(payload)).toEqual(Array.from(bytes));
    const decoded = codec.decodeDownlink(packet.getFPort()!, payload);
    expect(decoded.ok && decoded.data).toMatchObject({ deviceConfig: { sendInterval: 600 } });
  });

  it('refuses values the codec rejects and uplink-only ports', () => {
    const world = p2pWorld(MDBT);
    expect(() => world.sendDownlink(DEVICE_CONFIG_PORT, { sendInterval: 1 })).toThrow(/sendInterval/);
    expect(() => world.sendDownlink(ROAD_CLIMATE_PORT, SAMPLE_READING)).toThrow(/not a downlink/);
    expect(world.gateway!.pendingDownlinks).toBe(0);
  });
});

describe('LoRaWAN (OTAA) mode', () => {
  it('registers the device at the network server, which receives and decodes its uplink and answers in RX1', () => {
    const profile = loadBoard(MDBT);
    const reading = encodeReading();
    const world = createClimateWorld({
      bundle: lorawanTestBundle(profile, ROAD_CLIMATE_PORT, Buffer.from(reading).toString('hex')),
      boardId: MDBT,
      scenario: FROST_NIGHT,
      seed: 9,
      keys: DEMO_LORAWAN_KEYS,
    });
    expect(world.gateway).toBeUndefined();
    world.sendDownlink(DEVICE_CONFIG_PORT, { sendInterval: 900 });
    world.run(30_000);
    expect(consoleTexts(world)).toContain('done');
    expect(world.network!.counters).toMatchObject({ joinAccepts: 1, uplinks: 1, downlinks: 2 });
    const expected = codec.decode(ROAD_CLIMATE_PORT, reading);
    expect(world.uplinks).toHaveLength(1);
    expect(world.uplinks[0]).toMatchObject({ fPort: ROAD_CLIMATE_PORT, micOk: true, rejected: false, message: 'roadClimate' });
    expect(world.uplinks[0]!.data).toEqual(expected.ok && expected.data);

    const rx = consoleTexts(world).find((t) => t.startsWith('modem +EVT:RX_1:'));
    expect(rx).toBeDefined();
    const fields = rx!.split(':');
    expect(fields[4]).toBe('UNICAST');
    const decoded = codec.decodeDownlink(Number(fields[5]), Buffer.from(fields[6]!, 'hex'));
    expect(decoded.ok && decoded.data).toMatchObject({ deviceConfig: { sendInterval: 900 } });
  });
});

describe('the climate sensors', () => {
  const ramp: WeatherScenario = {
    name: 'ramp',
    description: 'test ramp',
    durationHours: 10,
    start: '2026-01-01T00:00:00Z',
    points: [
      { hour: 0, air: -5, humidity: 50, surface: -10 },
      { hour: 10, air: 15, humidity: 90, surface: 10 },
    ],
  };

  it('0x44 measures the scenario air, 0x45 the surface (with the air humidity), as time goes on', () => {
    const world = p2pWorld(MDBT, { scenario: ramp });
    world.run(20_000);
    const first = lastReading(world, 0x44);
    const truth0 = world.truthAt(first.timeMs);
    expect(first.temperature).toBeCloseTo(truth0.air, 1);
    expect(first.humidity).toBeCloseTo(truth0.humidity, 0);

    world.run(5 * 3_600_000);
    world.board.evaluate('readSht(0x44); readSht(0x45);');
    world.run(100);
    const air = lastReading(world, 0x44);
    const surface = lastReading(world, 0x45);
    const truth = world.truthAt(air.timeMs);
    expect(truth).toEqual(weatherAt(ramp, air.timeMs));
    expect(truth.air).toBeGreaterThan(4.9); // about half way up the ramp
    expect(air.temperature).toBeCloseTo(truth.air, 1);
    expect(air.humidity).toBeCloseTo(truth.humidity, 0);
    expect(surface.temperature).toBeCloseTo(truth.surface, 1);
    expect(surface.humidity).toBeCloseTo(truth.humidity, 0);
    expect(world.sensors.air.commands.length).toBe(2);
    expect(world.sensors.surface.commands.length).toBe(1);
  });
});

describe('resets', () => {
  it('a pulse on the reset pin reboots the modem; driving it high at start does not', () => {
    const world = p2pWorld(MDBT);
    world.run(20_000);
    expect(world.modemResets).toBe(0);
    // Power-up and the restart after AT+NWM=0, nothing else.
    expect(world.modem.stats.reboots).toBe(2);
    const banners = (): number[] => world.console.filter((l) => l.text.startsWith('modem Current Work Mode')).map((l) => l.timeMs);
    const before = banners().length;
    const pulsedAt = world.scheduler.now();
    world.board.evaluate(`digitalPulse(${loadBoard(MDBT).modem.reset}, 0, 10)`);
    world.run(2000);
    expect(world.modemResets).toBe(1);
    const after = banners();
    expect(after.length).toBe(before + 1);
    // The module boots once released (10 ms) and takes its boot time (1 s) to print the banner.
    expect(after.at(-1)! - pulsedAt).toBeGreaterThan(1010);
    expect(after.at(-1)! - pulsedAt).toBeLessThan(1020);
  });

  it('a power cycle restarts the firmware from flash, with its keys still in Storage, and the modem', () => {
    const world = p2pWorld(MDBT);
    world.run(20_000);
    expect(world.firmwareStarts).toBe(1);
    expect(world.modem.ready).toBe(true);
    const cycledAt = world.scheduler.now();
    world.powerCycle();
    expect(world.firmwareStarts).toBe(2);
    expect(world.modem.ready).toBe(false);
    world.run(3000);
    const starts = world.console.filter((l) => l.text === 'start p2p');
    expect(starts).toHaveLength(2);
    expect(starts[1]!.timeMs).toBe(cycledAt);
    // The restarted modem prints its banner after its boot time; the firmware configures it again.
    const banner = world.console.find((l) => l.timeMs > cycledAt && l.text.startsWith('modem Current Work Mode'));
    expect(banner!.timeMs - cycledAt).toBeGreaterThan(1000);
    expect(world.modemResets).toBe(0);
  });
});

describe('simulateScenario and formatReport', () => {
  it('reports every uplink with wall-clock time, port, message, short values and radio, then a summary', async () => {
    const report = await simulateScenario({
      scenario: 'frost-night',
      board: MDBT,
      hours: 0.01,
      bundle: p2pTestBundle(loadBoard(MDBT), p2pFrames()),
    });
    expect(report.uplinks).toHaveLength(4);
    const first = report.uplinks[0]!;
    expect(first.wallClock).toBe(new Date(Date.parse(FROST_NIGHT.start) + first.timeMs).toISOString().slice(0, 19).replace('T', ' '));
    expect(first).toMatchObject({ fPort: 20, message: 'roadClimate', rejected: false });
    expect(first.values).toContain('air.temperature=2.4 air.relativeHumidity=90');
    expect(first.values).toContain('iceRisk=watch status=heaterOn battery=2.95');
    expect(report.summary).toMatchObject({
      uplinks: 2,
      byMessage: { roadClimate: 2 },
      rejected: 2,
      rejectedReasons: { 'repeated FCnt': 1, 'MIC mismatch': 1 },
      undecodable: 0,
      firmwareStarts: 1,
      consoleErrors: [],
    });
    expect(report.summary.airtimeMs).toBeGreaterThan(4 * 150);
    expect(report.summary.airtimePerDayMs).toBeCloseTo((report.summary.airtimeMs * 24) / 0.01, 6);

    const text = formatReport(report);
    const lines = text.split('\n');
    expect(lines[0]).toBe('frost-night: road-climate on mdbt42q-rak3172, LoRa P2P, 0.01 h from 2026-11-27T12:00:00Z, seed 1');
    expect(lines).toContain(`${first.wallClock}  port 20  #0  roadClimate  ${first.values}  rssi ${first.rssi} snr ${first.snr}`);
    expect(text).toContain('REJECTED: MIC mismatch');
    expect(text).toContain('uplinks: 2 accepted (roadClimate 2), 2 rejected (repeated FCnt 1, MIC mismatch 1)');
    expect(text).toContain('console errors: none');
  });

  it('builds the app for the board when no bundle is given, and fails on an unknown app', async () => {
    const report = await simulateScenario({ scenario: 'warm-day', app: 'selftest', board: MDBT, hours: 0.001 });
    expect(report.summary).toMatchObject({ uplinks: 0, rejected: 0, firmwareStarts: 1, uncaughtErrors: 0, consoleErrors: [] });
    await expect(simulateScenario({ scenario: 'warm-day', app: 'no-such-app', board: MDBT })).rejects.toThrow(/unknown app/);
    await expect(simulateScenario({ scenario: 'no-such-scenario', board: MDBT })).rejects.toThrow(/unknown scenario/);
  });

  it('shortForm dots nested names and lists the flags that are set', () => {
    expect(shortForm({ a: { b: 1, c: null }, f: { x: true, y: false, z: true }, none: { p: false }, l: [{ q: 1 }], s: 'x' })).toBe(
      'a.b=1 a.c=null f=x+z none=- l=[1] s=x',
    );
  });
});
