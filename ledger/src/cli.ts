/**
 * `stadtsensor ledger ...`: the ledger service and its administration. Every administrative command writes the
 * audit log (who: --actor, default the login name behind sudo or the current user; when; what), listings and
 * exports included, because they show personal data.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { ConfigError } from '../../gateway-bridge/src/config/errors.ts';
import { UsageError } from '../../tools/cli/input.ts';
import { loadLedgerConfig, LEDGER_DEFAULTS, type LedgerConfig } from './config.ts';
import { berlinMidnight, berlinMonth, berlinTime } from './export/berlin-time.ts';
import { badgeListFileText, exportBadgeList } from './export/badge-list-file.ts';
import { bookingsCsv } from './export/csv.ts';
import { summarize, summaryCsv } from './export/summary.ts';
import { Ledger } from './ledger.ts';
import { badgePseudonym, parseUid, PseudonymKeyError, readPseudonymKey } from './pseudonym.ts';
import { openStore } from './store/open-store.ts';
import { LedgerStoreError, type Actor, type LedgerStore } from './store/types.ts';
import { firstStopSignal } from '../../tools/cli/signals.ts';

interface CommonOptions {
  config: string;
  actor?: string;
}

function defaultActor(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SUDO_USER) return env.SUDO_USER;
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

function load(path: string): LedgerConfig {
  try {
    return loadLedgerConfig(path);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** Opens the store of the configuration, runs fn, closes it; store refusals become usage errors (exit 2). */
async function withStore<T>(opts: CommonOptions, fn: (store: LedgerStore, by: Actor, config: LedgerConfig) => Promise<T>): Promise<T> {
  const config = load(opts.config);
  const store = await openStore(config.store);
  try {
    return await fn(store, { actor: opts.actor ?? defaultActor(), now: Math.floor(Date.now() / 1000) }, config);
  } catch (error) {
    if (error instanceof LedgerStoreError || error instanceof PseudonymKeyError || error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  } finally {
    await store.close();
  }
}

function common(command: Command): Command {
  return command
    .option('-c, --config <file>', 'ledger configuration (YAML or JSON)', process.env.STADTSENSOR_LEDGER_CONFIG ?? LEDGER_DEFAULTS.configFile)
    .option('--actor <name>', 'who is doing this, for the audit log (default: the login name)');
}

function local(unixSeconds: number | null): string {
  if (unixSeconds === null) return '-';
  const t = berlinTime(unixSeconds);
  return `${t.date} ${t.time}`;
}

/** YYYY-MM-DD (local midnight, Europe/Berlin) or an ISO 8601 time with its zone. */
export function parseWhen(text: string): number {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (day) return berlinMidnight(Number(day[1]), Number(day[2]), Number(day[3]));
  if (/[zZ]|[+-]\d{2}:?\d{2}$/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return Math.floor(ms / 1000);
  }
  throw new UsageError(`not a date: ${JSON.stringify(text)} (expected YYYY-MM-DD or an ISO 8601 time with a zone, e.g. 2026-11-01T08:00:00+01:00)`);
}

/** The pseudonym of --uid (computed with the key file) or --badge (given as 8 hex digits). */
function pseudonymOf(opts: { uid?: string; badge?: string }, config: LedgerConfig): string {
  if ((opts.uid === undefined) === (opts.badge === undefined)) throw new UsageError('give either --uid <hex> or --badge <pseudonym>');
  if (opts.badge !== undefined) {
    const badge = opts.badge.toLowerCase();
    if (!/^[0-9a-f]{8}$/.test(badge)) throw new UsageError(`not a badge pseudonym: ${JSON.stringify(opts.badge)} (expected 8 hex digits)`);
    return badge;
  }
  if (config.pseudonymKeyFile === undefined) throw new UsageError('--uid needs pseudonymKeyFile in the ledger configuration');
  return badgePseudonym(readPseudonymKey(config.pseudonymKeyFile), parseUid(opts.uid!));
}

export function registerLedgerCommands(program: Command): void {
  const ledger = program.command('ledger').description('the booking ledger of the time-clock terminals (see docs/timeclock/ledger.md)');
  // nested commands inherit these only when they are set before the commands are added
  ledger.exitOverride();

  common(ledger.command('run'))
    .description('run the ledger service: bookings in over MQTT, acknowledgements out (systemd runs this)')
    .option('--check', 'check the configuration and the store, print what it sets up and exit')
    .action(async (opts: CommonOptions & { check?: boolean }) => {
      const config = load(opts.config);
      if (opts.check) {
        const store = await openStore(config.store);
        const terminals = await store.terminals();
        await store.close();
        console.log(`${opts.config}: ok\nstore ${config.store.kind}: ${terminals.length} terminals; MQTT ${config.mqtt.url}; retention ${config.retentionDays} days`);
        return;
      }
      const service = await Ledger.start({ config });
      const signal = await firstStopSignal();
      service.logger.info(`${signal}: stopping`);
      await service.stop();
    });

  const employee = ledger.command('employee').description('employees (id and name; the name appears only in exports)');
  common(employee.command('add <id>'))
    .description('add an employee')
    .requiredOption('--name <name>', 'name as payroll knows it')
    .option('--greeting <text>', 'what terminals show on a tap (default: the neutral defaultGreeting of the configuration)')
    .action(async (id: string, opts: CommonOptions & { name: string; greeting?: string }) => {
      if (!/^[\x21-\x7e]{1,64}$/.test(id)) throw new UsageError(`not an employee id: ${JSON.stringify(id)} (1 to 64 printable characters without spaces)`);
      await withStore(opts, async (store, by) => {
        await store.addEmployee({ id, name: opts.name, greeting: opts.greeting ?? null }, by);
        console.log(`employee ${id} added`);
      });
    });
  common(employee.command('list'))
    .description('list the employees')
    .action(async (opts: CommonOptions) => {
      await withStore(opts, async (store, by) => {
        const all = await store.employees();
        await store.audit('employee.list', { employees: all.length }, by);
        for (const e of all) console.log(`${e.id}\t${e.name}\t${e.greeting ?? '(default greeting)'}`);
      });
    });

  const badge = ledger.command('badge').description('badges: pseudonym -> employee; the UID itself is never stored');
  common(badge.command('add'))
    .description('map a badge to an employee (the pseudonym is computed from --uid with the pseudonym key)')
    .option('--uid <hex>', 'the UID as the reader shows it, e.g. 04A1B2C3D4E5F6')
    .option('--badge <pseudonym>', 'or the pseudonym itself (8 hex digits), e.g. from a terminal log')
    .requiredOption('--employee <id>', 'employee id')
    .option('--from <date>', 'valid from (YYYY-MM-DD, Europe/Berlin; default: now)')
    .option('--to <date>', 'valid until, exclusive (default: open-ended)')
    .action(async (opts: CommonOptions & { uid?: string; badge?: string; employee: string; from?: string; to?: string }) => {
      await withStore(opts, async (store, by, config) => {
        const pseudonym = pseudonymOf(opts, config);
        const mapping = await store.addBadge(
          { badge: pseudonym, employeeId: opts.employee, validFrom: opts.from === undefined ? by.now : parseWhen(opts.from), validTo: opts.to === undefined ? null : parseWhen(opts.to) },
          by,
        );
        console.log(`badge ${mapping.badge} -> ${mapping.employeeId} from ${local(mapping.validFrom)}${mapping.validTo === null ? '' : ` until ${local(mapping.validTo)}`}`);
      });
    });
  common(badge.command('revoke'))
    .description('revoke a badge now (lost card, employee left); terminals refuse it once they have the new list')
    .option('--uid <hex>', 'the UID as the reader shows it')
    .option('--badge <pseudonym>', 'or the pseudonym (8 hex digits)')
    .action(async (opts: CommonOptions & { uid?: string; badge?: string }) => {
      await withStore(opts, async (store, by, config) => {
        const pseudonym = pseudonymOf(opts, config);
        const revoked = await store.revokeBadge(pseudonym, by);
        if (revoked === 0) throw new UsageError(`badge ${pseudonym} has no valid mapping to revoke`);
        console.log(`badge ${pseudonym} revoked`);
      });
    });
  common(badge.command('list'))
    .description('list the badge mappings')
    .action(async (opts: CommonOptions) => {
      await withStore(opts, async (store, by) => {
        const all = await store.badges();
        await store.audit('badge.list', { mappings: all.length }, by);
        console.log('badge\temployee\tvalid from\tvalid until\trevoked');
        for (const m of all) console.log(`${m.badge}\t${m.employeeId}\t${local(m.validFrom)}\t${local(m.validTo)}\t${local(m.revokedAt)}`);
      });
    });

  common(badge.command('export-list'))
    .description('write the badge list (pseudonyms and greetings, as published on MQTT) for terminals without MQTT, e.g. LoRa-only sites')
    .option('--out <file>', 'write here (mode 600) instead of standard output')
    .action(async (opts: CommonOptions & { out?: string }) => {
      await withStore(opts, async (store, by, config) => {
        const list = await exportBadgeList(store, config.defaultGreeting, by, opts.out ?? 'stdout');
        const text = badgeListFileText(list);
        if (opts.out !== undefined) {
          writeFileSync(opts.out, text, { mode: 0o600 });
          console.log(`badge list version ${list.version}: ${list.badges.length} badges, ${list.revoked.length} revoked -> ${opts.out}`);
        } else process.stdout.write(text);
      });
    });

  const terminal = ledger.command('terminal').description("terminals' sequence numbers and acknowledgements");
  common(terminal.command('list'))
    .description('list the terminals the ledger has heard of, with their acknowledged sequence and any gap')
    .action(async (opts: CommonOptions) => {
      await withStore(opts, async (store) => {
        console.log('terminal\tacked through\thighest stored\tlast batch');
        for (const t of await store.terminals()) {
          const gap = t.highestSequence !== null && t.highestSequence > t.ackedThrough ? ` (gap: ${t.ackedThrough + 1} missing)` : '';
          console.log(`${t.terminal}\t${t.ackedThrough}\t${t.highestSequence ?? '-'}${gap}\t${local(t.lastBatchAt)}`);
        }
      });
    });
  common(terminal.command('skip <terminal>'))
    .description('accept that sequences up to --through will never arrive (the terminal lost its outbox), so later ones are acknowledged')
    .requiredOption('--through <sequence>', 'last sequence given up')
    .requiredOption('--reason <text>', 'why, for the audit log')
    .action(async (id: string, opts: CommonOptions & { through: string; reason: string }) => {
      const through = Number(opts.through);
      if (!Number.isSafeInteger(through) || through < 1) throw new UsageError(`not a sequence number: ${opts.through}`);
      await withStore(opts, async (store, by) => {
        const acked = await store.skipThrough(id, through, opts.reason, by);
        console.log(`terminal ${id}: acknowledged through ${acked}`);
      });
    });

  common(ledger.command('export'))
    .description('payroll CSV of one month (Europe/Berlin), one row per booking (columns: docs/timeclock/ledger.md)')
    .requiredOption('--month <YYYY-MM>', 'e.g. 2026-11')
    .option('--employee <id>', 'only this employee')
    .option('--summary', 'worked time per employee and day instead of the bookings')
    .option('--out <file>', 'write here (mode 600) instead of standard output')
    .action(async (opts: CommonOptions & { month: string; employee?: string; summary?: boolean; out?: string }) => {
      await withStore(opts, async (store, by) => {
        const { from, to } = berlinMonth(opts.month);
        if (opts.employee !== undefined && (await store.employee(opts.employee)) === undefined) throw new UsageError(`no employee ${opts.employee}`);
        const bookings = await store.bookingsBetween(from, to, opts.employee);
        const days = opts.summary ? summarize(bookings) : undefined;
        const text = days ? summaryCsv(days) : bookingsCsv(bookings);
        await store.audit(
          'export',
          { month: opts.month, employee: opts.employee ?? null, kind: days ? 'summary' : 'bookings', rows: days ? days.length : bookings.length, out: opts.out ?? 'stdout' },
          by,
        );
        if (opts.out !== undefined) writeFileSync(opts.out, text, { mode: 0o600 });
        else process.stdout.write(text);
        const unmapped = bookings.filter((b) => b.employeeId === null).length;
        if (unmapped > 0) console.error(`note: ${unmapped} bookings of badges mapped to no employee at their time (empty employee_id)`);
      });
    });

  common(ledger.command('retention'))
    .description('delete bookings older than retentionDays (dry run unless --apply)')
    .option('--apply', 'delete them')
    .action(async (opts: CommonOptions & { apply?: boolean }) => {
      await withStore(opts, async (store, by, config) => {
        const result = await store.retention(config.retentionDays, opts.apply === true, by);
        const what = opts.apply ? `deleted ${result.deleted}` : `would delete ${result.matched} (dry run; --apply deletes)`;
        console.log(`retention ${config.retentionDays} days: records before ${local(result.cutoff)} are past it; ${what}`);
      });
    });
}
