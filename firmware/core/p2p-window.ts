/**
 * The class A receive window of a P2P node, one definition for both ends: the node listens (firmware/core/node.ts)
 * from P2P_RX_OPEN_MS to P2P_RX_WINDOW_MS after its modem reported the uplink sent, and the gateway (the bridge, the
 * simulator's P2P gateway) answers P2P_DOWNLINK_DELAY_MS after it heard the uplink: in the middle, 200 ms of margin
 * on either side for the gateway's serial and scheduling delays. A window that found a preamble stays open to the
 * frame's end. Every 100 ms of listening costs a Pico node about 1.5 % of its battery life (8.4 mA receiving, 11 mA
 * with its UART set up); before the window opens the modem sleeps.
 */
export const P2P_RX_OPEN_MS = 300;
export const P2P_RX_WINDOW_MS = 700;
export const P2P_DOWNLINK_DELAY_MS = (P2P_RX_OPEN_MS + P2P_RX_WINDOW_MS) / 2;
