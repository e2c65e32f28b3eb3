#!/bin/sh
# The time-clock kiosk: Chromium full-screen on the terminal's local page. Started by the desktop session
# (labwc-autostart or wayfire-autostart.ini next to this file); see hardware/timeclock/terminal-setup.md.
# Waits until the terminal service answers, and starts Chromium again whenever it ends.
URL="${STADTSENSOR_KIOSK_URL:-http://127.0.0.1:8470/}"
PROFILE="${XDG_RUNTIME_DIR:-/tmp}/stadtsensor-kiosk-profile"
BROWSER="$(command -v chromium || command -v chromium-browser)"
if [ -z "$BROWSER" ]; then
  echo "stadtsensor-kiosk: chromium is not installed (sudo apt install chromium)" >&2
  exit 1
fi

while true; do
  until curl -fsS -o /dev/null "${URL}healthz"; do sleep 1; done
  # A fresh profile every start: no "restore pages?" bubble, no stale cache after an update.
  rm -rf "$PROFILE"
  "$BROWSER" \
    --kiosk "$URL" \
    --user-data-dir="$PROFILE" \
    --ozone-platform-hint=auto \
    --noerrdialogs --disable-infobars --disable-session-crashed-bubble \
    --disable-features=Translate,TranslateUI \
    --disable-pinch --overscroll-history-navigation=0 \
    --disable-background-networking --disable-component-update \
    --check-for-update-interval=31536000
  sleep 2
done
