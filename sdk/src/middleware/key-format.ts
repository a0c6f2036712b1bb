const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_PATTERN = /^([a-z][a-z0-9]{1,9})_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE), as zlib computes it, over the ASCII characters of `text`. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    crc = (CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function base62Checksum(randomPart: string): string {
  let n = crc32(randomPart);
  let out = '';
  for (let i = 0; i < 6; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/**
 * True when `key` has the shape of a Keyledger key (`<prefix>_<43 base62><6 base62 CRC32>`) and its
 * checksum holds. The checksum is public by design, as GitHub's token checksums are: it lets a service
 * refuse a mistyped or made-up key without asking Keyledger. It proves nothing about validity.
 *
 * @example
 * ```ts
 * if (!isWellFormedKey(candidate)) console.log('not a Keyledger key');
 * ```
 */
export function isWellFormedKey(key: string): boolean {
  if (key.length > 64) return false;
  const match = KEY_PATTERN.exec(key);
  return match !== null && base62Checksum(match[2] as string) === match[3];
}
