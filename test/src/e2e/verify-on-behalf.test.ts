import { generateKey } from '@keyledger/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restClient, startTestServer, type TestServer } from '../support/test-server.js';

type Verify = { valid: boolean; code: string };

describe('failed-verification limits for a service verifying on its callers’ behalf', () => {
  let server: TestServer;
  let api: ReturnType<typeof restClient>;
  let service: string;
  let goodKey: string;
  // A made-up key with a valid checksum: the algorithm is public, so probers can make these.
  const unknownKey = generateKey('rag').plaintext;

  beforeAll(async () => {
    server = await startTestServer({ failedVerificationsPerMinute: 3 });
    api = restClient(server.url);
    service = await api.signUp('gateway', 'gateway-password-1');
    const res = await api.call<{ key: string }>('POST', '/api-keys/generate', {
      token: service,
      body: { name: 'g' },
    });
    goodKey = res.body.key;
  });
  afterAll(() => server?.close());

  const verify = async (key: string, headers: Record<string, string>, token?: string) =>
    (await api.call<Verify>('POST', '/api-keys/verify', { body: { key }, headers, token })).body;

  it('counts failures per forwarded address when the service signs in, so other callers still get through', async () => {
    const prober = { 'x-forwarded-for': '203.0.113.7' };
    const honest = { 'x-forwarded-for': '198.51.100.20' };
    const probes = [];
    for (let i = 0; i < 5; i++) probes.push((await verify(unknownKey, prober, service)).code);
    expect(probes).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'RATE_LIMITED', 'RATE_LIMITED']);
    const result = await verify(goodKey, honest, service);
    expect(result.code).toBe('VALID');
    expect(result.valid).toBe(true);
  });

  it('ignores X-Forwarded-For from anonymous callers: a forged address does not reset the limit', async () => {
    const codes = [];
    for (let i = 0; i < 5; i++)
      codes.push((await verify(unknownKey, { 'x-forwarded-for': `192.0.2.${i}` })).code);
    expect(codes.slice(3)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
  });
});
