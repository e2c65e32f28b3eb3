/**
 * RUI3 command-line syntax, as RUI3's At_Parser (cores/STM32WLE/component/service/mode/cli/atcmd.c) splits it:
 * the name runs to the first '=' or ' ', a name ending in '?' asks for help, `AT+XXX=` with nothing after it is a
 * parameter error, and the value splits at ':' into arguments.
 */

export type AtStatus =
  | 'OK'
  | 'AT_ERROR'
  | 'AT_PARAM_ERROR'
  | 'AT_BUSY_ERROR'
  | 'AT_NO_NETWORK_JOINED'
  | 'AT_MODE_NO_SUPPORT'
  | 'AT_COMMAND_NOT_FOUND'
  | 'AT_UNSUPPORTED_BAND';

/** RUI3's MAX_CMD_LEN: a name this long or longer is an AT_ERROR. */
export const MAX_NAME_LENGTH = 32;

export interface CommandLine {
  /** Upper-case name without a trailing '?', e.g. 'AT+DEVEUI'. */
  name: string;
  /** `AT+XXX?`: usage text requested. */
  help: boolean;
  /** An '=' followed the name. */
  hasValue: boolean;
  /** The value split at ':' (empty when there is no value). */
  args: string[];
}

export function parseCommandLine(line: string): CommandLine {
  let end = 0;
  while (end < line.length && line[end] !== '=' && line[end] !== ' ') end++;
  let name = line.substring(0, end).toUpperCase();
  const help = name.length > 0 && name.endsWith('?');
  if (help) name = name.substring(0, name.length - 1);
  const hasValue = line[end] === '=';
  const value = end < line.length ? line.substring(end + 1) : '';
  return { name, help, hasValue, args: value === '' ? [] : value.split(':') };
}

export function isQuery(args: readonly string[]): boolean {
  return args.length === 1 && args[0] === '?';
}

/**
 * A decimal number as RUI3's at_check_digital_uint32_t reads it: digits only, at most 10 of them, and "0" but not
 * "00". Undefined when the text is not such a number.
 */
export function parseDecimal(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]{1,10}$/.test(text)) return undefined;
  const value = parseInt(text, 10);
  if (value === 0 && text.length > 1) return undefined;
  return value;
}

/** A decimal in [min, max], else undefined. */
export function parseDecimalIn(text: string | undefined, min: number, max: number): number | undefined {
  const value = parseDecimal(text);
  return value !== undefined && value >= min && value <= max ? value : undefined;
}

export function isHex(text: string): boolean {
  return /^[0-9A-Fa-f]*$/.test(text);
}
