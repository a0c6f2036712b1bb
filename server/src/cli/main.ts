#!/usr/bin/env node
import {
  checkProjections,
  createEventStore,
  keyStateAsOf,
  rebuildProjections,
  verifyChain,
} from '@keyledger/events';
import { parseArgs } from 'node:util';
import { passwordSchema, usernameSchema } from '../api/schemas/index.js';
import { keyHistory } from '../audit/key-history.js';
import { configFromEnv } from '../config.js';
import { KeyledgerError } from '../errors.js';
import { toKeyObject } from '../keys/key-view.js';
import { SYSTEM_META } from '../request-meta.js';
import { createServices } from '../services.js';
import { backupDatabase } from './backup.js';
import { readSecret } from './read-secret.js';

const USAGE = `Usage: npm run cli -- <command>

  users create --username NAME [--admin]   create a user; the password is read from stdin
  users set-role --username NAME --role user|admin
  replay --check                            replay the log into fresh tables and list any drift
  replay --rebuild                          rebuild every projection from the log
  verify-chain                              check the log's hash chain
  keys history KEY_ID [--as-of TIME]        a key's events, or its state at an ISO-8601 time
  backup PATH                               an online backup of the database to PATH

The database is DATABASE_PATH (default ./data/keyledger.db).`;

const out = (value: unknown) => process.stdout.write(JSON.stringify(value, null, 2) + '\n');

async function run(argv: string[]): Promise<number> {
  // Whatever this creates (a database, a pepper, a backup) holds hashes: private to this user.
  process.umask(0o077);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      username: { type: 'string' },
      admin: { type: 'boolean', default: false },
      role: { type: 'string' },
      check: { type: 'boolean', default: false },
      rebuild: { type: 'boolean', default: false },
      'as-of': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = configFromEnv({ ...process.env, LOG_LEVEL: 'silent' });
  const retentionCutoff = () => Date.now() - config.usageRetentionDays * 86_400_000;

  switch (command) {
    case 'users': {
      const username = usernameSchema.parse(values.username);
      const services = createServices(config);
      try {
        if (sub === 'create') {
          const password = passwordSchema.parse(await readSecret('Password: '));
          const user = await services.accounts.createUser(
            { username, password },
            values.admin ? 'admin' : 'user',
            SYSTEM_META,
            null,
          );
          out(user);
          return 0;
        }
        if (sub === 'set-role' && (values.role === 'user' || values.role === 'admin')) {
          out(services.accounts.setRole(username, values.role, SYSTEM_META, null));
          return 0;
        }
      } finally {
        services.close();
      }
      break;
    }
    case 'replay': {
      const store = createEventStore({ path: config.databasePath });
      try {
        if (values.rebuild) {
          const report = rebuildProjections(store.db, { usageLogCutoff: retentionCutoff() });
          out({ rebuilt: true, events: report.events, seconds: report.seconds });
          return 0;
        }
        if (values.check) {
          const report = checkProjections(store.db, { usageLogCutoff: retentionCutoff() });
          out({ events: report.events, seconds: report.seconds, differences: report.differences });
          if (report.differences.length > 0) {
            console.error(
              `replay --check: ${report.differences.length} difference(s) between the log and the projections`,
            );
            return 1;
          }
          return 0;
        }
      } finally {
        store.close();
      }
      break;
    }
    case 'verify-chain': {
      const store = createEventStore({ path: config.databasePath });
      try {
        const result = verifyChain(store.db);
        out(result);
        return result.ok ? 0 : 1;
      } finally {
        store.close();
      }
    }
    case 'keys': {
      if (sub !== 'history' || !arg) break;
      const store = createEventStore({ path: config.databasePath });
      try {
        const asOf = values['as-of'];
        if (asOf !== undefined) {
          const time = Date.parse(asOf);
          if (Number.isNaN(time))
            throw new KeyledgerError('VALIDATION_FAILED', `not an ISO-8601 time: ${asOf}`);
          const state = keyStateAsOf(store.db, arg, { time });
          if (!state) throw new KeyledgerError('KEY_NOT_FOUND', `key ${arg} did not exist at ${asOf}`);
          out(toKeyObject(state, time));
        } else {
          const events = keyHistory(store, arg);
          if (events.length === 0) throw new KeyledgerError('KEY_NOT_FOUND', `no key ${arg}`);
          out(events);
        }
        return 0;
      } finally {
        store.close();
      }
    }
    case 'backup': {
      if (!sub) break;
      const store = createEventStore({ path: config.databasePath });
      try {
        out(await backupDatabase(store, sub));
        return 0;
      } finally {
        store.close();
      }
    }
  }
  console.error(USAGE);
  return 2;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message =
      error instanceof KeyledgerError
        ? `${error.code}: ${error.message}`
        : error instanceof Error && 'issues' in error
          ? `invalid input: ${(error as { issues: { message: string; path: unknown[] }[] }).issues
              .map((i) => `${i.path.join('.') || 'value'} ${i.message}`)
              .join('; ')}`
          : (error as Error).message;
    console.error(`keyledger: ${message}`);
    process.exit(1);
  },
);
