import { pino, type Logger } from 'pino';

/**
 * JSON logs. Request logs carry the method, the path without its query string, the status and the
 * request id; headers and bodies are never logged, and the redaction list catches mistakes.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'keyledger' },
      redact: {
        paths: [
          'password',
          '*.password',
          'key',
          '*.key',
          'token',
          '*.token',
          'access_token',
          '*.access_token',
          'authorization',
          '*.authorization',
          'headers',
          '*.headers',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? process.stdout,
  );
}
