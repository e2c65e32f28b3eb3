#!/bin/sh
# SIMULATED gpioset of libgpiod v1.6 (tools/gpioset.c) for the tests; fake-gpiod.mjs describes the simulated chip
# (FAKE_GPIO_DIR: chips, log). A shell script, not Node: it starts in about a millisecond, as the C tool does, so
# that a 100 ms beep is not lost to start-up time. Options before the chip, then <offset>=<value> pairs;
# --mode=signal holds the values until SIGTERM or SIGINT and exits 0; a missing chip ends it with die_perror's
# message and exit 1.
dir="$FAKE_GPIO_DIR"
args=""
for a in "$@"; do args="$args${args:+,}\"$a\""; done
log() { printf '{"tool":"gpioset","pid":%s,"event":"%s","args":[%s]}\n' "$$" "$1" "$args" >> "$dir/log"; }
die() { echo "gpioset: $1" >&2; exit 1; }
mode=exit
while [ $# -gt 0 ]; do
  case "$1" in
    -l|--active-low|-b|--background) ;;
    --mode=*) mode="${1#--mode=}" ;;
    -m) shift; mode="$1" ;;
    --bias=*|--drive=*|--sec=*|--usec=*) ;;
    -B|-D|-s|-u) shift ;;
    -*) die "unrecognized option '$1'" ;;
    *) break ;;
  esac
  shift
done
[ $# -ge 1 ] || die "gpiochip must be specified"
chip="$1"; shift
[ $# -ge 1 ] || die "at least one GPIO line offset to value mapping must be specified"
for pair in "$@"; do
  case "$pair" in [0-9]*=[01]) ;; *) die "invalid offset<->value mapping: $pair" ;; esac
done
grep -qx "${chip#/dev/}" "$dir/chips" 2>/dev/null || die "error setting the GPIO line values: No such file or directory"
trap 'log stop; exit 0' TERM INT
log start
case "$mode" in
  signal) while :; do sleep 1 >/dev/null 2>&1 & wait $!; done ;;
  exit) exit 0 ;;
  *) die "invalid mode: $mode" ;;
esac
