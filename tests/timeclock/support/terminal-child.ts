/**
 * A Pi terminal in a process of its own, for the acceptance tests: the real terminal (startTerminal: SQLite outbox,
 * MQTT transport) from the configuration file in argv[2], on the test's simulated clock (anchor JSON in argv[3]),
 * with a simulated reader and screen driven over the IPC channel (child-protocol.ts). Every outcome is sent to the
 * parent at the moment the screen shows it; the parent SIGKILLs this process right after a confirmation.
 * Warnings and errors of the terminal go to stderr. Exits when the parent goes away.
 */
import { Buffer } from 'node:buffer';
import { loadTerminalConfig } from '../../../firmware/timeclock/terminal/config.ts';
import { startTerminal } from '../../../firmware/timeclock/terminal/terminal.ts';
import type { FromChild, ToChild } from './child-protocol.ts';
import { anchoredClockSource, type ClockAnchor } from './sim-clock.ts';
import { pressAndPresent, Screen, SimulatedReader } from './simulated-terminal.ts';

const [configFile, anchorJson] = process.argv.slice(2);
if (configFile === undefined || anchorJson === undefined || process.send === undefined) {
  process.stderr.write('usage: terminal-child.ts <config file> <clock anchor JSON>, started with an IPC channel\n');
  process.exit(2);
}
const send = (message: FromChild): void => {
  process.send!(message);
};

let anchor = JSON.parse(anchorJson) as ClockAnchor;
const reader = new SimulatedReader();
const screen = new Screen();
screen.onOutcome = (outcome) => send({ type: 'outcome', outcome });
const terminal = startTerminal(
  loadTerminalConfig(configFile),
  {
    reader,
    display: screen,
    log: (level, message) => {
      if (level === 'warn' || level === 'error') process.stderr.write(`${level} ${message}\n`);
    },
  },
  { clock: anchoredClockSource(() => anchor), mqttTuning: { reconnectPeriodMs: 200, connectTimeoutMs: 2000 } },
);

process.on('message', (message: ToChild) => {
  switch (message.type) {
    case 'tap':
      anchor = message.anchor;
      pressAndPresent(terminal, reader, new Uint8Array(Buffer.from(message.uid, 'hex')), message.kind);
      break;
    case 'clock':
      anchor = message.anchor;
      send({ type: 'reply', id: message.id, status: terminal.status(), counters: terminal.counters() });
      break;
    case 'status':
      send({ type: 'reply', id: message.id, status: terminal.status(), counters: terminal.counters() });
      break;
    case 'stop':
      void terminal.close().then(() => process.exit(0));
      break;
  }
});
process.on('disconnect', () => process.exit(1));
send({ type: 'started', status: terminal.status() });
