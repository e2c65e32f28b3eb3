/**
 * The radio modes this firmware carries. Here (Node, tests, the Pi terminal) both; the firmware build replaces this
 * module with the one mode a bundle is built for (`stadtsensor build --radio p2p|lorawan`, tools/firmware-build), so
 * the minifier drops the other mode's code: a P2P bundle has no OTAA join or LoRaWAN AT commands, a LoRaWAN bundle
 * no AES, CMAC or ABP framing.
 */
export type RadioMode = 'p2p' | 'lorawan';

/** LoRa P2P with ABP frames the node builds itself (a single-channel gateway). */
export const RADIO_P2P: boolean = true;
/** LoRaWAN through the modem's own stack (OTAA join, AT+SEND). */
export const RADIO_LORAWAN: boolean = true;
