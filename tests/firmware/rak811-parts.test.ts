/**
 * The RAK811 driver's pure parts: the line parser (status, banner, downlinks and P2P packets as the RAK811 AT manual
 * and the RUI v3 source print them), the command text, the error map and the redaction; and the RAK811 board
 * profiles, which must stay the RAK3172 ones with only the modem changed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loRaWanCommands, modemError, p2pCommand, redact } from '../../firmware/drivers/rak811/commands.ts';
import { eventParser } from '../../firmware/drivers/rak811/events.ts';
import { validateBoardProfile } from '../../hardware/boards/board-profile.ts';
import { BOARDS_DIR } from '../../tools/firmware-build/boards.ts';

describe('eventParser', () => {
  it('reads status lines, with the code of older ERROR spellings', () => {
    const parse = eventParser();
    expect(parse('OK')).toEqual({ type: 'OK', info: '' });
    expect(parse('OK V3.0.0.14.H')).toEqual({ type: 'OK', info: 'V3.0.0.14.H' });
    expect(parse('OK Join Success')).toEqual({ type: 'OK', info: 'Join Success' });
    expect(parse('ERROR: 86')).toEqual({ type: 'ERROR', code: 86 });
    expect(parse('ERROR: RUI_AT_LORA_INFO_STATUS_JOIN_FAIL 99')).toEqual({ type: 'ERROR', code: 99 });
    expect(parse('OKAY')).toEqual({ type: '' });
    expect(parse('[LoRa]:Join retry Cnt:3')).toEqual({ type: '' });
  });

  it('takes the work mode of the boot banner from the line that names it', () => {
    const parse = eventParser();
    expect(parse('UART1 work mode: RUI_UART_NORMAL, 115200, N81')).toEqual({ type: '' });
    expect(parse('LoRa work mode: P2P')).toEqual({ type: '' });
    expect(parse('LoRa P2P Transfer_mode: Sender')).toEqual({ type: '' });
    expect(parse('Initialization OK')).toEqual({ type: 'BOOT', p2p: true });
    parse('Current work_mode:LoRaWAN, join_mode:OTAA, MulticastEnable: false, Class: A');
    expect(parse('Initialization OK ')).toEqual({ type: 'BOOT', p2p: false });
  });

  it('reads LoRaWAN downlinks and ACKs (with a port) and P2P packets (without), checking the length', () => {
    const parse = eventParser();
    expect(parse('at+recv=1,-65,6,2:4865')).toEqual({ type: 'RX', downlink: { port: 1, rssi: -65, snr: 6, bytes: Uint8Array.of(0x48, 0x65) } });
    expect(parse('at+recv=0,-105,-12,0')).toEqual({ type: 'RX', downlink: { port: 0, rssi: -105, snr: -12, bytes: new Uint8Array(0) } });
    expect(parse('at+recv=-67,8,3:313233')).toEqual({ type: 'RXP2P', packet: { rssi: -67, snr: 8, bytes: Uint8Array.of(0x31, 0x32, 0x33) } });
    expect(parse('at+recv=-67,8,3:3132')).toEqual({ type: '' });
    expect(parse('at+recv=-67,8,2:31G2')).toEqual({ type: '' });
  });
});

describe('command text', () => {
  it('writes OTAA settings region first, join_mode 0, class and switches the duty cycle on in EU868', () => {
    expect(loRaWanCommands({ band: 'EU868', activation: 'otaa', devEui: 'aa'.repeat(8), appKey: '11'.repeat(16), deviceClass: 'C', adr: false, dataRate: 3, confirmed: true })).toEqual([
      'at+set_config=lora:region:EU868',
      'at+set_config=lora:join_mode:0',
      'at+set_config=lora:dev_eui:' + 'AA'.repeat(8),
      'at+set_config=lora:app_key:' + '11'.repeat(16),
      'at+set_config=lora:class:2',
      'at+set_config=lora:adr:0',
      'at+set_config=lora:dr:3',
      'at+set_config=lora:confirm:1',
      'at+set_config=lora:dutycycle_enable:1',
    ]);
    expect(loRaWanCommands({ band: 'US915', activation: 'abp', devAddr: '26011BDA' })).toEqual([
      'at+set_config=lora:region:US915',
      'at+set_config=lora:join_mode:1',
      'at+set_config=lora:dev_addr:26011BDA',
    ]);
  });

  it('refuses a band the RAK811 lacks and a key that is not hex (nothing else may reach the line)', () => {
    expect(loRaWanCommands({ band: 'RU864', activation: 'otaa' })).toBeUndefined();
    expect(loRaWanCommands({ band: 'EU868', activation: 'otaa', appKey: '11\r\nat+set_config=device:restart' })).toBeUndefined();
  });

  it('writes P2P settings with the bandwidth code and the coding rate as 1..4', () => {
    expect(p2pCommand({ freqHz: 869525000, sf: 12, bwKhz: 500, cr: 4, preamble: 8, txPowerDbm: 20 })).toBe('at+set_config=lorap2p:869525000:12:2:4:8:20');
  });

  it('maps the module error codes to the Modem errors', () => {
    expect([80, 86, 87, 101, 90, 99, 81, 2, 1, 96].map(modemError)).toEqual(['busy', 'not_joined', 'param', 'param', 'restricted', 'no_network', 'mode', 'param', 'unknown', 'unknown']);
  });

  it('redacts key values in commands and in the status reply, and nothing else', () => {
    expect(redact('at+set_config=lora:app_key:841986913ACD00BBC2BE2479D70F3228')).toBe('at+set_config=lora:app_key:<redacted>');
    expect(redact('> at+set_config=lora:nwks_key:69AF')).toBe('> at+set_config=lora:nwks_key:<redacted>');
    expect(redact('< AppKey: 00000000000008880000000000000888')).toBe('< AppKey:<redacted>');
    expect(redact('at+set_config=lora:dev_eui:3530353064377716')).toBe('at+set_config=lora:dev_eui:3530353064377716');
  });
});

describe('RAK811 board profiles', () => {
  it('are their RAK3172 siblings with the RAK811 on the same pins (UART1: PA9 TX, PA10 RX), and validate', () => {
    for (const board of ['mdbt42q', 'pico']) {
      const rak811 = JSON.parse(readFileSync(join(BOARDS_DIR, `${board}-rak811.json`), 'utf8'));
      const rak3172 = JSON.parse(readFileSync(join(BOARDS_DIR, `${board}-rak3172.json`), 'utf8'));
      expect(validateBoardProfile(rak811, `${board}-rak811`)).toEqual([]);
      expect(rak811.modem).toMatchObject({ chip: 'RAK811', baud: 115200, modemTx: 'PA9', modemRx: 'PA10' });
      const same = (p: Record<string, unknown>): unknown => ({ ...p, id: '', name: '', modem: { ...(p.modem as object), chip: '', modemTx: '', modemRx: '' } });
      expect(same(rak811)).toEqual(same(rak3172));
    }
  });
});
