import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from '../../src/api/jsonBodyParser.js';

const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('exceedsJsonDepth', () => {
  it('counts arrays and objects alike, up to the limit inclusive', () => {
    expect(exceedsJsonDepth('{"a":[{"b":[1]}]}', 4)).toBe(false);
    expect(exceedsJsonDepth('{"a":[{"b":[1]}]}', 3)).toBe(true);
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });

  it('measures depth, not the number of containers', () => {
    const wide = `[${Array.from({ length: 1000 }, () => '{"a":[1,2]}').join(',')}]`;
    expect(exceedsJsonDepth(wide, 3)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes and backslashes included', () => {
    expect(exceedsJsonDepth(JSON.stringify({ s: '[[[[{{{{' }), 1)).toBe(false);
    expect(exceedsJsonDepth(JSON.stringify({ s: 'say \\"[[[[\\" and "[[[["' }), 1)).toBe(false);
    // An escaped backslash ends right before the closing quote: what follows is structure again.
    expect(exceedsJsonDepth('{"s":"\\\\","t":[[1]]}', 2)).toBe(true);
    expect(exceedsJsonDepth('{"s":"\\\\","t":[[1]]}', 3)).toBe(false);
    expect(exceedsJsonDepth('["\\u005b\\u005b", [1]]', 2)).toBe(false);
  });

  it('does not recurse: a million levels is answered, not a stack overflow', () => {
    expect(exceedsJsonDepth(nested(1_000_000), MAX_JSON_DEPTH)).toBe(true);
    expect(exceedsJsonDepth('{"a":'.repeat(1_000_000), MAX_JSON_DEPTH)).toBe(true);
  });
});
