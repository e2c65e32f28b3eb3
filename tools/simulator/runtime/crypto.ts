/**
 * require('crypto') as Espruino builds have it: SHA1/SHA256 where the CRYPTO library is compiled in,
 * AES (ECB and CBC, no padding, as mbedTLS does it) only on boards that include it (Puck.js, Pixl.js).
 * Results are ArrayBuffers, as on the device.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { bytesOf } from './bytes.ts';
import { guestArrayBuffer, guestObject, type RuntimeHost } from './host.ts';

function aes(host: () => RuntimeHost, decrypt: boolean) {
  return (data: unknown, key: unknown, options?: unknown): ArrayBuffer => {
    const realm = host().realm;
    const input = bytesOf(data);
    const keyBytes = bytesOf(key);
    const opts = (options ?? {}) as { mode?: unknown; iv?: unknown };
    const mode = String(opts.mode ?? 'CBC').toUpperCase();
    if (![16, 24, 32].includes(keyBytes.length)) throw new realm.Error('Key must be 128, 192 or 256 bits');
    if (mode !== 'ECB' && mode !== 'CBC') throw new realm.Error(`AES mode ${mode} is not simulated (ECB and CBC are)`);
    if (input.length % 16 !== 0) throw new realm.Error('Data length must be a multiple of 16 bytes');
    const algorithm = `aes-${keyBytes.length * 8}-${mode.toLowerCase()}`;
    const iv = mode === 'ECB' ? null : opts.iv === undefined ? new Uint8Array(16) : bytesOf(opts.iv);
    const cipher = decrypt ? createDecipheriv(algorithm, keyBytes, iv) : createCipheriv(algorithm, keyBytes, iv);
    cipher.setAutoPadding(false);
    const out = new Uint8Array([...cipher.update(input), ...cipher.final()]);
    return guestArrayBuffer(realm, out);
  };
}

function hash(host: () => RuntimeHost, algorithm: 'sha1' | 'sha256') {
  return (data: unknown): ArrayBuffer =>
    guestArrayBuffer(host().realm, new Uint8Array(createHash(algorithm).update(bytesOf(data)).digest()));
}

export function cryptoModule(host: () => RuntimeHost, withAes: boolean): Record<string, unknown> {
  const module: Record<string, unknown> = { SHA1: hash(host, 'sha1'), SHA256: hash(host, 'sha256') };
  if (withAes) module.AES = guestObject(host().realm, { encrypt: aes(host, false), decrypt: aes(host, true) });
  return module;
}
