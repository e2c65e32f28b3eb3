/** The RUI3 driver's two stateless stages: command text (rui3/commands.ts) and line parsing (rui3/events.ts). */
import { describe, expect, it } from 'vitest';
import { loRaWanCommands, modemError, p2pCommand, redact } from '../../firmware/drivers/rui3/commands.ts';
import { eventParser, type Rui3Event } from '../../firmware/drivers/rui3/events.ts';

/** Parses the lines with one parser; byte arrays come back as plain arrays, for comparing. */
function parseAll(lines: string[]): Rui3Event[] {
  const parse = eventParser();
  return lines.map((line) => JSON.parse(JSON.stringify(parse(line), (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v))) as Rui3Event);
}

describe('RUI3 events', () => {
  it('reads the keyword events in the current and the older spellings', () => {
    const lines = [
      '+EVT:JOINED',
      '+EVT:JOIN_FAILED_RX_TIMEOUT',
      '+EVT:JOIN FAILED',
      '+EVT:TX_DONE',
      '+EVT:SEND_CONFIRMED_OK',
      '+EVT: SEND CONFIRMED OK',
      '+EVT:SEND_CONFIRMED_FAILED(4)',
      '+EVT:TXP2P DONE',
      '+EVT:RXP2P RECEIVE TIMEOUT',
      '+EVT:RXP2P RECEIVE ERROR',
    ];
    expect(parseAll(lines).map((e) => e.type)).toEqual([
      'JOINED',
      'JOIN_FAILED',
      'JOIN_FAILED',
      'TX_DONE',
      'SEND_CONFIRMED_OK',
      'SEND_CONFIRMED_OK',
      'SEND_CONFIRMED_FAILED',
      'TXP2P_DONE',
      'RXP2P_RECEIVE_TIMEOUT',
      'RXP2P_RECEIVE_ERROR',
    ]);
  });

  it('reads downlinks in every slot, with lower- or upper-case hex', () => {
    expect(parseAll(['+EVT:RX_1:-70:8:UNICAST:1:0a0b', '+EVT:RX_C:-40:-9:MULTICAST:200:ABCD'])).toEqual([
      { type: 'RX', slot: '1', downlink: { port: 1, bytes: [10, 11], rssi: -70, snr: 8 } },
      { type: 'RX', slot: 'C', downlink: { port: 200, bytes: [0xab, 0xcd], rssi: -40, snr: -9 } },
    ]);
  });

  it('reads both forms of a P2P packet; the second line of the older form only right after its first', () => {
    expect(parseAll(['+EVT:RXP2P:-30:13:1234', '+EVT:RXP2P, RSSI -60, SNR 11', '+EVT:AABBCCDD', '+EVT:AABBCCDD'])).toEqual([
      { type: 'RXP2P', packet: { bytes: [0x12, 0x34], rssi: -30, snr: 13 } },
      { type: '' },
      { type: 'RXP2P', packet: { bytes: [0xaa, 0xbb, 0xcc, 0xdd], rssi: -60, snr: 11 } },
      { type: '' },
    ]);
  });

  it('reads the banner with its work mode, and Restricted_Wait', () => {
    expect(parseAll(['Current Work Mode: LoRaWAN.', 'Current Work Mode: LoRa P2P.', 'Restricted_Wait_21345_ms'])).toEqual([
      { type: 'BOOT', p2p: false },
      { type: 'BOOT', p2p: true },
      { type: 'WAIT', waitMs: 21345 },
    ]);
  });

  it('gives malformed events and other lines type ""', () => {
    const lines = ['OK', 'AT+NWM=1', '+EVT:RX_1:-70:8:UNICAST:1:123', '+EVT:RX_9:-70:8:UNICAST:1:12', '+EVT:RX_1:x:8:UNICAST:1:12', '+EVT:RXP2P:-30:13:XYZ', '+EVT:LINKCHECK:0:20:1:-70:8', 'Restricted_Wait_x_ms'];
    expect(parseAll(lines).map((e) => e.type)).toEqual(['', '', '', '', '', '', '', '']);
  });
});

describe('RUI3 commands', () => {
  it('writes band and join mode first, then the settings given, keys in capitals', () => {
    expect(loRaWanCommands({ band: 'AS923-3', activation: 'abp', devAddr: '260b1234', adr: true, confirmed: false })).toEqual([
      'AT+BAND=10',
      'AT+NJM=0',
      'AT+DEVADDR=260B1234',
      'AT+ADR=1',
      'AT+CFM=0',
    ]);
  });

  it('refuses an unknown band and text that is not hex, so nothing else reaches the line', () => {
    expect(loRaWanCommands({ band: 'EU999' as never, activation: 'otaa' })).toBeUndefined();
    expect(loRaWanCommands({ band: 'EU868', activation: 'otaa', appKey: '00\r\nATZ' })).toBeUndefined();
  });

  it('counts the P2P coding rate from 0', () => {
    expect(p2pCommand({ freqHz: 869525000, sf: 12, bwKhz: 500, cr: 4, preamble: 16, txPowerDbm: 22 })).toBe('AT+P2P=869525000:12:500:3:16:22');
  });

  it('maps status lines to modem errors; a Restricted_Wait makes AT_BUSY_ERROR restricted', () => {
    expect(['AT_PARAM_ERROR', 'AT_BUSY_ERROR', 'AT_NO_NETWORK_JOINED', 'AT_MODE_NO_SUPPORT', 'AT_UNSUPPORTED_BAND', 'AT_ERROR'].map((s) => modemError(s, undefined))).toEqual([
      'param',
      'busy',
      'not_joined',
      'mode',
      'param',
      'unknown',
    ]);
    expect(modemError('AT_BUSY_ERROR', 5000)).toBe('restricted');
  });

  it('redacts key values in commands, replies and log lines, but not queries or identifiers', () => {
    expect(redact('AT+APPKEY=2B7E151628AED2A6ABF7158809CF4F3C')).toBe('AT+APPKEY=<redacted>');
    expect(redact('< at+nwkskey=0F1E2D3C4B5A69788796A5B4C3D2E1F0')).toBe('< at+nwkskey=<redacted>');
    expect(redact('AT+APPSKEY=A1B2C3D4E5F60718293A4B5C6D7E8F90: param')).toBe('AT+APPSKEY=<redacted>');
    expect(redact('AT+APPKEY=?')).toBe('AT+APPKEY=?');
    expect(redact('AT+DEVEUI=AC1F09FFFE000001')).toBe('AT+DEVEUI=AC1F09FFFE000001');
  });
});
