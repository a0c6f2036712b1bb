import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 43 base62 characters carry 256 bits (43 × log2 62 ≈ 256.0). */
export const RANDOM_LENGTH = 43;
export const CHECKSUM_LENGTH = 6;
/** How much of the random part `key_prefix` shows, for telling keys apart in lists. */
const DISPLAY_CHARS = 6;
/** The longest prefix a key may have (and `KEYLEDGER_KEY_PREFIX` allows): 2–10 characters. */
const MAX_PREFIX_LENGTH = 10;

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

const isLowerOrDigit = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
const isBase62 = (c: number) => isLowerOrDigit(c) || (c >= 65 && c <= 90);

/**
 * True when `key` has the shape of a Keyledger key, `^[a-z][a-z0-9]{1,9}_[0-9A-Za-z]{49}$`, and its
 * checksum holds. Does no lookup. Checked by character codes rather than a regular expression: this
 * runs on every verification, and the match array and substrings cost more than the CRC.
 */
export function isWellFormedKey(key: string): boolean {
  const length = key.length;
  // The random part and checksum never contain `_`, so the separator's place follows from the length.
  const separator = length - RANDOM_LENGTH - CHECKSUM_LENGTH - 1;
  if (separator < 2 || separator > MAX_PREFIX_LENGTH || key.charCodeAt(separator) !== 95) return false;
  const first = key.charCodeAt(0);
  if (first < 97 || first > 122) return false;
  for (let i = 1; i < separator; i++) if (!isLowerOrDigit(key.charCodeAt(i))) return false;
  for (let i = separator + 1; i < length; i++) if (!isBase62(key.charCodeAt(i))) return false;
  // Compares the checksum a digit at a time, last first, without building its string.
  let n = crc32(key.slice(separator + 1, separator + 1 + RANDOM_LENGTH));
  for (let i = length - 1; i >= length - CHECKSUM_LENGTH; i--) {
    if (key.charCodeAt(i) !== BASE62.charCodeAt(n % 62)) return false;
    n = Math.floor(n / 62);
  }
  return true;
}
