import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { CHECKSUM_LENGTH, generateKey, isWellFormedKey, RANDOM_LENGTH } from './key-format.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The checksum as the format defines it: CRC32 of the random part, as 6 base62 digits. */
function checksumOf(randomPart: string): string {
  let n = crc32(randomPart);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

describe('key format', () => {
  it('makes keys of prefix, 43 random base62 characters and a 6-character checksum', () => {
    const { plaintext, displayPrefix } = generateKey('rag');
    expect(plaintext).toMatch(new RegExp(`^rag_[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`));
    expect(plaintext.startsWith(displayPrefix)).toBe(true);
    expect(isWellFormedKey(plaintext)).toBe(true);
  });

  it('never repeats a key', () => {
    const keys = new Set(Array.from({ length: 10_000 }, () => generateKey('rag').plaintext));
    expect(keys.size).toBe(10_000);
  });

  it('rejects any single-character change by its checksum', () => {
    const { plaintext } = generateKey('rag');
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: plaintext.length - 1 }),
        fc.constantFrom(...alphabet),
        (i, ch) => {
          fc.pre(plaintext[i] !== ch);
          const changed = plaintext.slice(0, i) + ch + plaintext.slice(i + 1);
          expect(isWellFormedKey(changed)).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('accepts exactly the strings of the documented shape whose checksum holds', () => {
    const shape = /^[a-z][a-z0-9]{1,9}_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;
    const { plaintext } = generateKey('rag');
    const nearMisses = fc.oneof(
      fc.string({ maxLength: 70 }),
      fc
        .tuple(fc.integer({ min: 0, max: plaintext.length }), fc.string({ maxLength: 3 }), fc.nat(3))
        .map(([i, insert, cut]) => plaintext.slice(0, i) + insert + plaintext.slice(i + cut)),
      fc.stringMatching(/^[a-z][a-z0-9]{0,11}_?[0-9A-Za-z_]{47,51}$/),
    );
    fc.assert(
      fc.property(nearMisses, (s) => {
        const match = shape.exec(s);
        const expected = match !== null && checksumOf(match[1] as string) === match[2];
        expect(isWellFormedKey(s)).toBe(expected);
      }),
      { numRuns: 5000 },
    );
    for (const prefix of ['ab', 'rag', 'a123456789']) {
      expect(isWellFormedKey(generateKey(prefix).plaintext)).toBe(true);
    }
    // A valid random part and checksum behind a prefix the shape does not allow.
    const tail = plaintext.slice('rag_'.length);
    for (const prefix of ['a', 'a1234567890', 'Rag', '1ag', 'r-g', 'ra_g', 'räg']) {
      expect(isWellFormedKey(`${prefix}_${tail}`)).toBe(false);
    }
    expect(isWellFormedKey(`rag-${tail}`)).toBe(false);
    expect(isWellFormedKey(`rag_${tail.slice(0, 20)}-${tail.slice(21)}`)).toBe(false);
  });

  it('rejects strings of the wrong shape', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (s) => {
        expect(isWellFormedKey(s)).toBe(false);
      }),
    );
    expect(isWellFormedKey('')).toBe(false);
    expect(isWellFormedKey('rag_' + 'a'.repeat(49))).toBe(false);
  });
});
