import { describe, expect, it } from 'vitest';
import { generateKey } from './keys/key-format.js';
import { redactCredentials } from './redact-credentials.js';

describe('redactCredentials', () => {
  it('redacts keys of any prefix and access tokens, wherever they sit in the text', () => {
    const key = generateKey('rag').plaintext;
    const other = generateKey('acme2').plaintext;
    const token = `kls_${'A1b2-_'.repeat(7)}x`;
    expect(redactCredentials(`no route for GET /x/${key}?a=1`)).toBe('no route for GET /x/[redacted]?a=1');
    expect(redactCredentials(`${other},${token}`)).toBe('[redacted],[redacted]');
  });

  it('leaves key ids, document ids and ordinary text alone', () => {
    const text = 'key_3f2a9c0e41b04d6f8a7c6b5d4e3f2a1b doc_5e0c2b7d9a1f4e3c8b6a2d1f0e9c8b7a rag_short';
    expect(redactCredentials(text)).toBe(text);
  });
});
