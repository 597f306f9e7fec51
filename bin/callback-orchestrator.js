#!/usr/bin/env node
// The `callback-orchestrator` command: runs the compiled CLI (npm run build writes dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(`callback-orchestrator: the CLI is not built (${fileURLToPath(entry)} is missing); run "npm run build" first\n`);
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv.slice(2));
