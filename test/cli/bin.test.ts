import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { startTestApp, waitFor, type TestClient } from '../support/testApp.js';
import { ADMIN_USER, testConfig } from '../support/testConfig.js';

/**
 * The packaged command: bin/callback-orchestrator.js runs the compiled CLI from dist/src/cli. The CLI (and the
 * local modules it imports) is compiled here, with the project's compiler options, into a scratch copy of that
 * layout inside the repository (so that node_modules resolve), leaving the project's own dist/ alone.
 */

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const prefix = uniquePrefix('cli-bin');
const scratch = mkdtempSync(join(repoRoot, 'test', 'cli', '.bin-build-'));
const bin = join(scratch, 'bin', 'callback-orchestrator.js');
let t: TestClient;

type Result = { code: number; stdout: string; stderr: string };
const run = (file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> =>
  exec(process.execPath, [file, ...args], { env: { ...process.env, ...env }, cwd: scratch }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

/** Transpiles `entry` and every local module it imports, as `tsc -p tsconfig.build.json` lays them out in dist/. */
function compileCli(entry: string, outDir: string): void {
  const { options } = ts.convertCompilerOptionsFromJson(
    (JSON.parse(readFileSync(join(repoRoot, 'tsconfig.json'), 'utf8')) as { compilerOptions: unknown }).compilerOptions,
    repoRoot,
  );
  const todo = [entry];
  const done = new Set<string>();
  while (todo.length) {
    const file = todo.pop()!;
    if (done.has(file)) continue;
    done.add(file);
    const source = readFileSync(file, 'utf8');
    // The package is "type": "module", so NodeNext emits ES modules; a lone transpileModule cannot see that.
    const compilerOptions = {
      ...options,
      module: ts.ModuleKind.ES2022,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      sourceMap: false,
    };
    const { outputText, diagnostics } = ts.transpileModule(source, { compilerOptions, fileName: file, reportDiagnostics: true });
    expect(diagnostics ?? []).toEqual([]);
    const out = join(outDir, relative(repoRoot, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
    for (const m of source.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)\.js'/g)) todo.push(resolve(dirname(file), `${m[1]}.ts`));
  }
}

beforeAll(async () => {
  compileCli(join(repoRoot, 'src', 'cli', 'main.ts'), join(scratch, 'dist'));
  t = await startTestApp(testConfig(prefix), { worker: false });
  mkdirSync(join(scratch, 'bin'));
  copyFileSync(join(repoRoot, 'bin', 'callback-orchestrator.js'), bin);
  await waitFor(async () => (await fetch(`${t.url}/readyz`)).ok, 5000, 'redis ready');
}, 30_000);

afterAll(async () => {
  await t?.app.close();
  await deletePrefix(prefix);
  rmSync(scratch, { recursive: true, force: true });
});

describe('bin/callback-orchestrator.js', () => {
  it('is an executable node script', () => {
    const source = join(repoRoot, 'bin', 'callback-orchestrator.js');
    expect(statSync(source).mode & 0o111).not.toBe(0);
  });

  it('runs the compiled CLI against a running instance', async () => {
    const env = { CBO_URL: t.url, CBO_ADMIN_USER: ADMIN_USER.username, CBO_ADMIN_PASSWORD: ADMIN_USER.password };
    const set = await run(bin, ['policy', 'set', 'dont_check'], env);
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toContain('changed from reopen to dont_check');
    const get = await run(bin, ['policy', 'get', '--json'], env);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toEqual({ salesforce: { closedRecordPolicy: 'dont_check' } });
  });

  it('exits non-zero with a one-line message on a bad password', async () => {
    const res = await run(bin, ['policy', 'history', '--url', t.url, '--user', 'admin', '--password', 'nope-nope-nope']);
    expect(res.code).toBe(1);
    expect(res.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^callback-orchestrator: 401 Unauthorized .*bad credentials/);
  });

  it('prints usage for --help and exits 0', async () => {
    const res = await run(bin, ['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Usage: callback-orchestrator');
    expect(res.stdout).toContain('policy');
    expect(res.stdout).toContain('explain');
  });

  it('says so when the CLI has not been built', async () => {
    const bare = mkdtempSync(join(scratch, 'bare-'));
    mkdirSync(join(bare, 'bin'));
    copyFileSync(bin, join(bare, 'bin', 'callback-orchestrator.js'));
    const res = await run(join(bare, 'bin', 'callback-orchestrator.js'), ['policy', 'get']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^callback-orchestrator: the CLI is not built .*run "npm run build" first\n$/);
  });
});
