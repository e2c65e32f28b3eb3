/**
 * What each receiving module takes in P2P (shared/reference/rak-rui3-at.md): checked when the configuration is
 * loaded and before a downlink is handed to the module, so a misfit is an error with a reason, not a module's
 * `ERROR: 2` at run time.
 */

/** RUI3's AT+PSEND takes at most 478 hex digits. */
export const RUI3_P2P_LIMITS = { maxDownlinkBytes: 239 } as const;

/**
 * RAK811 V3: a line holds at most 255 characters with its CR LF, so `at+send=lorap2p:` leaves room for 118 bytes;
 * its lorap2p settings take SF 6..12 and 5..20 dBm.
 */
export const RAK811_P2P_LIMITS = {
  maxDownlinkBytes: Math.floor((255 - 2 - 'at+send=lorap2p:'.length) / 2),
  maxTxPowerDbm: 20,
  minSpreadingFactor: 6,
} as const;
