// `npm install` would ignore the pnpm lockfile and the workspace protocol; point people to the right command.
const agent = process.env.npm_config_user_agent ?? '';
if (!agent.startsWith('pnpm/')) {
  console.error('Keyledger is a pnpm workspace: run `npm start` or `npm test`, which install it for you.');
  process.exit(1);
}
