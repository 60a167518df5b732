import { describe, expect, it } from 'vitest';
import { splitScript } from '../src/index.ts';

describe('splitScript', () => {
  it('splits at semicolons outside strings, identifiers, comments and dollar quotes (PostgreSQL)', () => {
    const script = [
      'SELECT \'a;b?\', "we;ird?" FROM t WHERE x = ?; -- note; ?',
      '/* block ; ? /* nested ; */ still ; */ SELECT ?;',
      'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; -- ? $body$ LANGUAGE sql;',
      "SELECT E'it\\'s;?', $$;?$$",
      '',
    ].join('\n');
    expect(splitScript(script, 'postgres')).toEqual([
      { sql: 'SELECT \'a;b?\', "we;ird?" FROM t WHERE x = $1', placeholders: 1, line: 1 },
      { sql: 'SELECT $1', placeholders: 1, line: 2 },
      {
        sql: 'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; -- ? $body$ LANGUAGE sql',
        placeholders: 0,
        line: 3,
      },
      { sql: "SELECT E'it\\'s;?', $$;?$$", placeholders: 0, line: 4 },
    ]);
  });

  it('knows MySQL quoting: backslash escapes, backticks and # comments', () => {
    const script = "INSERT INTO `a;b` VALUES ('x\\';?', \"y;?\", ?); # trailing ; ?\nSELECT ?";
    expect(splitScript(script, 'mysql')).toEqual([
      { sql: "INSERT INTO `a;b` VALUES ('x\\';?', \"y;?\", ?)", placeholders: 1, line: 1 },
      { sql: 'SELECT ?', placeholders: 1, line: 2 },
    ]);
  });

  it('drops empty statements and comment-only tails', () => {
    expect(splitScript(';;\n  -- nothing\n;SELECT 1;;', 'postgres')).toEqual([
      { sql: 'SELECT 1', placeholders: 0, line: 3 },
    ]);
  });
});
