import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** The admin page's browser script is plain JS served as-is; its JSDoc types are checked here (`// @ts-check`). */
const configPath = fileURLToPath(new URL('../../src/admin/public/tsconfig.json', import.meta.url));

describe('src/admin/public/admin.js', () => {
  it('type-checks against the browser DOM with its own tsconfig', () => {
    const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
    expect(read.error).toBeUndefined();
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(configPath));
    expect(parsed.errors).toEqual([]);
    expect(parsed.fileNames).toContain(join(dirname(configPath), 'admin.js'));
    const program = ts.createProgram(parsed.fileNames, parsed.options);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null;
      return `${d.file?.fileName ?? ''}${where ? `:${where.line + 1}` : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(problems).toEqual([]);
  });
});
