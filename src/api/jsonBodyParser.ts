import type { FastifyInstance } from 'fastify';
import { HttpError } from './HttpError.js';

/** SPEC 8: a JSON body nested deeper than this is a 400, on every endpoint. */
export const MAX_JSON_DEPTH = 64;
export const JSON_TOO_DEEP_MESSAGE = `JSON body is nested too deeply: at most ${MAX_JSON_DEPTH} levels of arrays and objects`;

/**
 * Replaces fastify's JSON body parser with one that refuses deep nesting before parsing. Code that walks a body
 * recursively (JSON.stringify in a handler, validators) would otherwise overflow the stack on a 10,000-level
 * array and answer 500. Parsing itself stays fastify's default (secure-json-parse, which refuses `__proto__` and
 * `constructor.prototype`), so its errors (empty body, malformed JSON) are unchanged.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body: string, done) => {
    if (exceedsJsonDepth(body, MAX_JSON_DEPTH)) {
      done(new HttpError(400, JSON_TOO_DEEP_MESSAGE), undefined);
      return;
    }
    void parseJson(request, body, done); // answers through `done`
  });
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Whether arrays and objects in the JSON `text` nest deeper than `maxDepth`. One pass, no recursion (it must
 * survive the input it is there to refuse); brackets inside strings do not count. It does not validate: the
 * parser does that afterwards, and for valid JSON the count is exact.
 */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH)
        i++; // the escaped character, `"` included, does not end the string
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}
