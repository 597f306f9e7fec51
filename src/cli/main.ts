import { pathToFileURL } from 'node:url';
import { runCli } from './cli.js';

export { runCli } from './cli.js';

/** Entry point of the `callback-orchestrator` command (bin/callback-orchestrator.js runs the compiled file). */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await runCli(argv);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void main();
}
