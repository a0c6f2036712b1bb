import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from './live-server.js';

// The published package, as a user gets it: `npm pack`, then `npm install <tarball>` into a project
// outside the workspace (the registry supplies @trpc/*), typechecked with tsc and run against a server.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const sdkDir = join(root, 'sdk');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const run = promisify(execFile);

// Without pnpm's npm_config_* variables, which would leak the workspace's settings into npm.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
const sh = (file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  run(file, args, { cwd, env: { ...cleanEnv, ...env }, maxBuffer: 32 * 1024 * 1024, timeout: 240_000 });

let work: string;
let tarball: string;
let packed: { path: string }[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'keyledger-sdk-pack-'));
  await sh(process.execPath, [tsc, '-b', 'sdk'], root);
  const { stdout } = await sh('npm', ['pack', '--json', '--pack-destination', work], sdkDir);
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  if (!info) throw new Error('npm pack reported nothing');
  tarball = join(work, info.filename);
  packed = info.files;
}, 240_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed @keyledger/sdk', () => {
  it('holds the build, the README and package.json, and nothing else', () => {
    const paths = packed.map((f) => f.path).sort();
    expect(paths).toContain('dist/index.js');
    expect(paths).toContain('dist/index.d.ts');
    expect(paths).toContain('README.md');
    for (const path of paths) {
      expect(path, path).toMatch(/^(package\.json|README\.md|dist\/.+\.(js|d\.ts))$/);
      expect(path, path).not.toMatch(/\.test\.|test-support|\.map$|tsbuildinfo/);
    }
  });

  it('declares only @trpc/client and @trpc/server, at one exact version, and no side effects', () => {
    const manifest = JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      sideEffects: boolean;
      type: string;
      exports: Record<string, unknown>;
    };
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['@trpc/client', '@trpc/server']);
    expect(manifest.dependencies['@trpc/client']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(manifest.dependencies['@trpc/server']).toBe(manifest.dependencies['@trpc/client']);
    expect(manifest.sideEffects).toBe(false);
    expect(manifest.type).toBe('module');
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
  });

  it('ships declarations that import nothing but each other', () => {
    const declarations = packed.map((f) => f.path).filter((path) => path.endsWith('.d.ts'));
    expect(declarations.length).toBeGreaterThan(5);
    for (const path of declarations) {
      // Comments carry @example code that imports '@keyledger/sdk'; only declarations count.
      const text = readFileSync(join(sdkDir, path), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/(?!\/\s*<reference).*$/gm, '');
      const specifiers = [
        ...text.matchAll(/\bfrom\s+['"]([^'"]+)['"]/g),
        ...text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g),
        ...text.matchAll(/\/\/\/\s*<reference\s+(?:types|path)=['"]([^'"]+)['"]/g),
      ].map((m) => m[1] as string);
      for (const specifier of specifiers)
        expect(specifier, `${path} imports ${specifier}`).toMatch(/^\.\.?\//);
      expect(text, path).not.toContain('@keyledger/server');
    }
  });

  describe('installed in a fresh project outside the workspace', () => {
    let project: string;
    let server: LiveServer;

    beforeAll(async () => {
      project = join(work, 'consumer');
      await sh('mkdir', ['-p', project], work);
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
      );
      // The consumer brings its own TypeScript (also @trpc/*'s peer dependency) and Node types.
      await sh(
        'npm',
        ['install', '--no-audit', '--no-fund', tarball, 'typescript@5.9.3', '@types/node@20.19.43'],
        project,
      );
      writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
      writeFileSync(join(project, 'consumer.ts'), CONSUMER_SOURCE);
      server = await startLiveServer();
    }, 300_000);
    afterAll(() => server?.close());
    const consumerTsc = () => join(project, 'node_modules/typescript/bin/tsc');

    it('brings in nothing at run time but @trpc/client and @trpc/server', () => {
      const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, unknown>;
      };
      const consumersOwn = ['typescript', '@types/node', 'undici-types'].map(
        (name) => `node_modules/${name}`,
      );
      const installed = Object.keys(lock.packages)
        .filter((p) => p.startsWith('node_modules/') && !consumersOwn.includes(p))
        .sort();
      expect(installed).toEqual([
        'node_modules/@keyledger/sdk',
        'node_modules/@trpc/client',
        'node_modules/@trpc/server',
      ]);
    });

    it('typechecks a consumer with tsc --noEmit', async () => {
      const result = await sh(process.execPath, [consumerTsc(), '--noEmit', '-p', '.'], project).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
      expect(result).toBe('');
    }, 120_000);

    it('runs the consumer against a live server', async () => {
      await sh(process.execPath, [consumerTsc(), '-p', '.'], project);
      const { stdout } = await sh(process.execPath, ['consumer.js'], project, { KEYLEDGER_URL: server.url });
      const report = JSON.parse(stdout) as Record<string, unknown>;
      expect(report).toEqual({
        me: 'consumer',
        generated: true,
        listed: true,
        verified: 'VALID',
        notFound: 'NotFoundError',
        protectedWithKey: 200,
        protectedWithoutKey: 401,
        protectedAfterRevoke: 401,
        rateLimitHeader: '100',
      });
    }, 120_000);
  });
});

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    types: ['node'],
    skipLibCheck: false,
    outDir: '.',
  },
  files: ['consumer.ts'],
};

// Written as a user would; the @ts-expect-error lines prove the types come through the package (an
// `any` would make them fail as unused).
const CONSUMER_SOURCE = `
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiKeyOf, createKeyledger, NotFoundError, requireApiKey, type KeyObject } from '@keyledger/sdk';

const baseUrl = process.env.KEYLEDGER_URL ?? 'http://127.0.0.1:8000';
const keyledger = createKeyledger({ baseUrl });
const username = 'consumer';
const password = 'a long enough password';

// @ts-expect-error the server's schema requires a password
void (() => keyledger.auth.register({ username }));

await keyledger.auth.register({ username, password });
const { access_token } = await keyledger.auth.signIn({ username, password });
const me = keyledger.withAccessToken(access_token);

const created = await me.keys.generate({ name: 'from the tarball', scope: 'query_only' });
// @ts-expect-error the plaintext key is a string
const notANumber: number = created.key;
void notANumber;
const listed: KeyObject[] = (await me.keys.list()).keys;

const verified = await keyledger.verify.key({ key: created.key, scope: 'query_only' });
const notFound = await me.keys.get({ key_id: 'key_missing' }).catch((error: unknown) =>
  error instanceof NotFoundError ? error.name : 'other',
);

const guard = requireApiKey({ baseUrl, scope: 'query_only', cacheTtlMs: 0 });
const app = createServer((req, res) => guard(req, res, () => res.end(apiKeyOf(req)?.key_id ?? '')));
await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
const url = 'http://127.0.0.1:' + (app.address() as AddressInfo).port + '/query';
const withKey = await fetch(url, { headers: { authorization: 'Bearer ' + created.key } });
const withoutKey = await fetch(url);
await me.keys.revoke({ key_id: created.key_id });
const afterRevoke = await fetch(url, { headers: { authorization: 'Bearer ' + created.key } });
app.close();

console.log(
  JSON.stringify({
    me: (await me.auth.me()).username,
    generated: created.key.length > 20,
    listed: listed.some((k) => k.key_id === created.key_id),
    verified: verified.code,
    notFound,
    protectedWithKey: withKey.status,
    protectedWithoutKey: withoutKey.status,
    protectedAfterRevoke: afterRevoke.status,
    rateLimitHeader: withKey.headers.get('x-ratelimit-limit'),
  }),
);
`;
