import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECKSUM_LENGTH, generateKey, isWellFormedKey, RANDOM_LENGTH } from './key-format.js';

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
