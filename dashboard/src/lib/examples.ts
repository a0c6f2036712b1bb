import type { KeyScope } from '@keyledger/server/schemas';

export interface CodeExample {
  id: 'curl' | 'typescript' | 'python';
  label: string;
  language: string;
  code: string;
}

/** Which demo API call shows the key doing what its scope allows. */
function callFor(scope: KeyScope): {
  method: 'GET' | 'POST';
  path: string;
  body: Record<string, unknown> | null;
} {
  switch (scope) {
    case 'read_only':
      return { method: 'GET', path: '/system/info', body: null };
    case 'ingest_only':
      return {
        method: 'POST',
        path: '/ingest',
        body: { data_type: 'text', content: 'Keyledger keeps every key event in one log.', metadata: {} },
      };
    default:
      return { method: 'POST', path: '/query', body: { query: 'How are keys stored?' } };
  }
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Ready-to-paste examples for a freshly shown key. The key goes into an environment variable in the
 * first line, so that it does not end up inside source files.
 */
export function keyExamples(key: string, scope: KeyScope, origin: string): CodeExample[] {
  const call = callFor(scope);
  const url = `${origin}${call.path}`;
  const json = call.body ? JSON.stringify(call.body) : null;

  const curl = [
    `export KEYLEDGER_API_KEY=${shellQuote(key)}`,
    '',
    `curl ${call.method === 'GET' ? '' : '-X POST '}${url} \\`,
    `  -H "Authorization: Bearer $KEYLEDGER_API_KEY"${json ? ' \\' : ''}`,
    ...(json ? [`  -H "Content-Type: application/json" \\`, `  -d ${shellQuote(json)}`] : []),
  ].join('\n');

  const typescript = [
    `// export KEYLEDGER_API_KEY=${shellQuote(key)}`,
    `import { createKeyledger } from '@keyledger/sdk';`,
    '',
    `const keyledger = createKeyledger({ baseUrl: '${origin}' });`,
    '',
    '// Check the key the way a service protected by Keyledger does.',
    'const result = await keyledger.verify.key({',
    '  key: process.env.KEYLEDGER_API_KEY ?? "",',
    `  endpoint: '${call.path}',`,
    '});',
    'console.log(result.valid, result.code, result.ratelimit?.remaining);',
  ].join('\n');

  const python = [
    `# export KEYLEDGER_API_KEY=${shellQuote(key)}`,
    'import os',
    'import requests',
    '',
    `response = requests.${call.method === 'GET' ? 'get' : 'post'}(`,
    `    "${url}",`,
    '    headers={"Authorization": f"Bearer {os.environ[\'KEYLEDGER_API_KEY\']}"},',
    ...(call.body ? [`    json=${pythonLiteral(call.body)},`] : []),
    '    timeout=10,',
    ')',
    'response.raise_for_status()',
    'print(response.json())',
  ].join('\n');

  return [
    { id: 'curl', label: 'curl', language: 'shell', code: curl },
    { id: 'typescript', label: 'TypeScript SDK', language: 'typescript', code: typescript },
    { id: 'python', label: 'Python requests', language: 'python', code: python },
  ];
}

function pythonLiteral(value: unknown): string {
  if (value === null) return 'None';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${pythonLiteral(v)}`).join(', ')}}`;
}
