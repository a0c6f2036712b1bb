import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 43 base62 characters carry 256 bits (43 × log2 62 ≈ 256.0). */
export const RANDOM_LENGTH = 43;
export const CHECKSUM_LENGTH = 6;
/** How much of the random part `key_prefix` shows, for telling keys apart in lists. */
const DISPLAY_CHARS = 6;
const KEY_PATTERN = /^([a-z][a-z0-9]{1,9})_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;

export type RandomBytes = (size: number) => Buffer;

function base62Checksum(randomPart: string): string {
  let n = crc32(randomPart);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** Uniform base62 characters by rejection sampling: 248 = 4 × 62, so bytes ≥ 248 are redrawn. */
function randomBase62(length: number, random: RandomBytes): string {
  let out = '';
  while (out.length < length) {
    for (const byte of random(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export interface GeneratedKey {
  plaintext: string;
  /** What the API shows in place of the key: the prefix and the first characters of the random part. */
  displayPrefix: string;
}

/**
 * A key in GitHub's token style: `<prefix>_<43 random base62><6 base62 of CRC32(random)>`. The prefix
 * lets secret scanners find leaked keys; the checksum lets anyone reject a mistyped key without a lookup.
 */
export function generateKey(prefix: string, random: RandomBytes = randomBytes): GeneratedKey {
  const randomPart = randomBase62(RANDOM_LENGTH, random);
  return {
    plaintext: `${prefix}_${randomPart}${base62Checksum(randomPart)}`,
    displayPrefix: `${prefix}_${randomPart.slice(0, DISPLAY_CHARS)}`,
  };
}

/** True when `key` has the shape of a Keyledger key and its checksum holds. Does no lookup. */
export function isWellFormedKey(key: string): boolean {
  if (key.length > 64) return false;
  const match = KEY_PATTERN.exec(key);
  if (!match) return false;
  return base62Checksum(match[2] as string) === match[3];
}
