import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AtLink, LineSplitter, MAX_LINE_LENGTH, type AtReply, type SerialPort, type Timers } from '../../firmware/drivers/at-line.ts';

const timers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A serial port whose far end the test plays by hand. */
class ScriptedSerial implements SerialPort {
  written: string[] = [];
  private listener: ((data: string) => void) | undefined;
  write(data: string): void {
    this.written.push(data);
  }
  on(_event: 'data', listener: (data: string) => void): void {
    this.listener = listener;
  }
  feed(data: string): void {
    if (this.listener) this.listener(data);
  }
}

function splitAll(chunks: string[]): { lines: string[]; splitter: LineSplitter } {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.feed(chunk);
  return { lines, splitter };
}

describe('line splitting', () => {
  it('ends lines at \\r\\n, \\r or \\n, across chunk borders, ignoring blank lines', () => {
    const { lines, splitter } = splitAll(['AT+VER=3.2.0\r', '\nOK\r\n\r\n', 'AT_ERROR\rAT_BUSY', '_ERROR\n\n+EVT:JOINED\r\n']);
    expect(lines).toEqual(['AT+VER=3.2.0', 'OK', 'AT_ERROR', 'AT_BUSY_ERROR', '+EVT:JOINED']);
    expect(splitter.dropped).toBe(0);
  });

  it('keeps an unfinished line until its end arrives', () => {
    const { lines } = splitAll(['+EVT:RX_1:-70:8:UNI', 'CAST:1:1234']);
    expect(lines).toEqual([]);
  });

  it('drops and counts lines with control or non-ASCII characters, salvaging noise before a line', () => {
    const { lines, splitter } = splitAll(['\u00ff\u0000Current Work Mode: LoRaWAN.\r\n', 'O\u0001K\r\n', '\u00fe\u00fd\r\n', 'AT+BAND=4\u00e9\r\nOK\r\n']);
    expect(lines).toEqual(['Current Work Mode: LoRaWAN.', 'OK']);
    expect(splitter.dropped).toBe(3);
  });

  it('drops an over-long line whole, also when it arrives in pieces, and resynchronises at the next line end', () => {
    const long = 'A'.repeat(MAX_LINE_LENGTH + 1);
    const pieces = ['x'.repeat(400), 'y'.repeat(400), 'z'.repeat(400), 'tail\r\nOK\r\n'];
    const { lines, splitter } = splitAll([long + '\r\n', ...pieces, 'B'.repeat(MAX_LINE_LENGTH) + '\n']);
    expect(lines).toEqual(['OK', 'B'.repeat(MAX_LINE_LENGTH)]);
    expect(splitter.dropped).toBe(2);
  });
});

describe('AT command link', () => {
  let serial: ScriptedSerial;
  let link: AtLink;
  let logs: string[];

  beforeEach(() => {
    vi.useFakeTimers();
    serial = new ScriptedSerial();
    logs = [];
    link = new AtLink(serial, timers, {
      log: (_level, message) => logs.push(message),
      redact: (line) => line.replace(/^(AT\+APPKEY=)(?!\?).*/, '$1<redacted>'),
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function run(command: string, options?: Parameters<AtLink['cmd']>[1]): { calls: [string | null, AtReply][] } {
    const calls: [string | null, AtReply][] = [];
    link.cmd(command, options, (err, reply) => calls.push([err, reply]));
    return { calls };
  }

  it('writes one command at a time and matches the query reply to it', () => {
    const ver = run('AT+VER=?');
    const band = run('at+band=?');
    expect(serial.written).toEqual(['AT+VER=?\r\n']);
    serial.feed('AT+VER=3.2.0-p2_22q1_final.87\r\nOK\r\n');
    expect(ver.calls).toEqual([[null, { status: 'OK', value: '3.2.0-p2_22q1_final.87', lines: [] }]]);
    expect(serial.written).toEqual(['AT+VER=?\r\n', 'at+band=?\r\n']);
    serial.feed('\r\nAT+BAND=4\r\n\r\nOK\r\n');
    expect(band.calls[0]?.[1].value).toBe('4');
    expect(link.isBusy()).toBe(false);
  });

  it('ends a command at every AT_* status string and passes the string on', () => {
    const statuses = [
      'AT_ERROR',
      'AT_PARAM_ERROR',
      'AT_BUSY_ERROR',
      'AT_TEST_PARAM_OVERFLOW',
      'AT_NO_CLASSB_ENABLE',
      'AT_NO_NETWORK_JOINED',
      'AT_RX_ERROR',
      'AT_MODE_NO_SUPPORT',
      'AT_COMMAND_NOT_FOUND',
      'AT_UNSUPPORTED_BAND',
    ];
    for (const status of statuses) {
      const r = run('AT+DR=9');
      serial.feed(status + '\r\n');
      expect(r.calls).toEqual([[status, { status, lines: [] }]]);
    }
  });

  it('times a silent command out, counts it, and goes on with the next one', () => {
    const first = run('AT');
    const second = run('AT+NJS=?');
    vi.advanceTimersByTime(1999);
    expect(first.calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(first.calls[0]?.[0]).toBe('timeout');
    expect(serial.written).toEqual(['AT\r\n', 'AT+NJS=?\r\n']);
    serial.feed('AT+NJS=1\r\nOK\r\n');
    expect(second.calls[0]?.[1].value).toBe('1');
    expect(link.stats()).toEqual({ commandsSent: 2, timeouts: 1, linesDropped: 0 });
  });

  it('honours a per-command timeout', () => {
    const r = run('AT+SLEEP=5000', { timeoutMs: 7000 });
    vi.advanceTimersByTime(6999);
    expect(r.calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(r.calls[0]?.[0]).toBe('timeout');
  });

  it('dispatches +EVT: lines to listeners even while a command is in flight', () => {
    const seen: string[] = [];
    link.onLine((line) => seen.push(line));
    const r = run('AT+SEND=1:0102');
    serial.feed('+EVT:RX_1:-70:8:UNICAST:1:1234\r\nOK\r\n+EVT:TX_DONE\r\nCurrent Work Mode: LoRaWAN.\r\n');
    expect(r.calls[0]?.[0]).toBeNull();
    expect(seen).toEqual(['+EVT:RX_1:-70:8:UNICAST:1:1234', '+EVT:TX_DONE', 'Current Work Mode: LoRaWAN.']);
  });

  it('captures Restricted_Wait for the command in flight', () => {
    const r = run('AT+SEND=2:AABB');
    serial.feed('Restricted_Wait_21345_ms\r\nAT_BUSY_ERROR\r\n');
    expect(r.calls).toEqual([['AT_BUSY_ERROR', { status: 'AT_BUSY_ERROR', waitMs: 21345, lines: [] }]]);
  });

  it('keeps other lines in the reply and ignores an echo', () => {
    const r = run('AT+PBW=250');
    serial.feed('AT+PBW=250\r\nP2P_RX_ON already, please disable P2P RX before setting.\r\nAT_BUSY_ERROR\r\n');
    expect(r.calls[0]?.[1].lines).toEqual(['P2P_RX_ON already, please disable P2P RX before setting.']);
    expect(r.calls[0]?.[1].value).toBeUndefined();
  });

  it('with `until`, waits past OK for the banner; an error still ends it', () => {
    const r = run('AT+NWM=0', { until: 'Current Work Mode', timeoutMs: 5000 });
    serial.feed('OK\r\n');
    expect(r.calls).toEqual([]);
    serial.feed('RAKwireless RAK3172-E\r\nCurrent Work Mode: LoRa P2P.\r\n');
    expect(r.calls).toEqual([[null, { status: 'OK', lines: ['RAKwireless RAK3172-E'] }]]);
    const bad = run('AT+NWM=7', { until: 'Current Work Mode' });
    serial.feed('AT_PARAM_ERROR\r\n');
    expect(bad.calls[0]?.[0]).toBe('AT_PARAM_ERROR');
  });

  it('runs an action instead of writing, for a reset pin', () => {
    const action = vi.fn(() => serial.feed('Current Work Mode: LoRaWAN.\r\n'));
    const r = run('reset pin', { until: 'Current Work Mode', action });
    expect(action).toHaveBeenCalledTimes(1);
    expect(serial.written).toEqual([]);
    expect(r.calls[0]?.[0]).toBeNull();
    expect(link.stats().commandsSent).toBe(0);
  });

  it('refuses commands beyond the queue bound', () => {
    const calls: (string | null)[] = [];
    for (let i = 0; i < 10; i++) link.cmd('AT', undefined, (err) => calls.push(err));
    vi.advanceTimersByTime(0);
    expect(calls).toEqual(['overflow']); // 1 in flight + 8 queued; the 10th is refused
  });

  it('logs through the redaction', () => {
    run('AT+APPKEY=2B7E151628AED2A6ABF7158809CF4F3C');
    serial.feed('OK\r\n');
    run('AT+APPKEY=?');
    serial.feed('AT+APPKEY=2B7E151628AED2A6ABF7158809CF4F3C\r\nOK\r\n');
    expect(logs.join('\n')).not.toContain('2B7E1516');
    expect(logs).toContain('> AT+APPKEY=<redacted>');
    expect(logs).toContain('< AT+APPKEY=<redacted>');
  });

  it('survives a late reply after a timeout without crashing', () => {
    const seen: string[] = [];
    link.onLine((line) => seen.push(line));
    run('AT');
    vi.advanceTimersByTime(2000);
    serial.feed('OK\r\n');
    expect(seen).toEqual(['OK']);
  });
});
