import { crc32 as zlibCrc32 } from 'node:zlib';
import { generateKey, isWellFormedKey as serverCheck } from '@keyledger/server';
import { describe, expect, it } from 'vitest';
import { crc32, isWellFormedKey } from './key-format.js';

describe('isWellFormedKey', () => {
  it('computes CRC-32 exactly as zlib does', () => {
    for (const text of [
      '',
      'a',
      'Keyledger',
      '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    ]) {
      expect(crc32(text)).toBe(zlibCrc32(text));
    }
  });

  it('accepts every key the server generates, whatever the prefix', () => {
    for (const prefix of ['rag', 'sk', 'acme2024']) {
      for (let i = 0; i < 200; i++) expect(isWellFormedKey(generateKey(prefix).plaintext)).toBe(true);
    }
  });

  it('agrees with the server on mistyped and made-up keys', () => {
    const { plaintext } = generateKey('rag');
    const candidates = [
      plaintext.slice(0, -1) + (plaintext.endsWith('A') ? 'B' : 'A'),
      plaintext.replace('_', '-'),
      plaintext.toUpperCase(),
      plaintext + 'x',
      'rag_short',
      '',
      'Bearer ' + plaintext,
    ];
    for (const candidate of candidates) {
      expect(isWellFormedKey(candidate), candidate).toBe(serverCheck(candidate));
      expect(isWellFormedKey(candidate), candidate).toBe(false);
    }
  });
});
