// Runs the pinned pnpm: corepack is not usable on every machine we target, and a newcomer has only Node
// and npm. Under a pnpm script we reuse the running pnpm; otherwise npx fetches the version pinned in
// package.json's packageManager.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('../package.json', import.meta.url);
const { packageManager } = JSON.parse(readFileSync(root, 'utf8'));
const version = packageManager.split('@')[1];
const running = process.env.npm_execpath ?? '';
const underPinnedPnpm =
  /pnpm/.test(running) && process.env.npm_config_user_agent?.startsWith(`pnpm/${version} `);

const args = process.argv.slice(2);
const result = underPinnedPnpm
  ? spawnSync(process.execPath, [running, ...args], { stdio: 'inherit' })
  : spawnSync('npx', ['-y', packageManager, ...args], {
      stdio: 'inherit',
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
process.exit(result.status ?? 1);
