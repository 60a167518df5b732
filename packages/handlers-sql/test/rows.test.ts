import { describe, expect, it } from 'vitest';
import { CSV, dataFormatOf } from '../src/format/data-format.ts';
import { encodeRow, MalformedRowError, RowParser } from '../src/format/rows.ts';
import { PipelineObject } from '../src/objects.ts';

const parseAll = (text: string, format = CSV, chunk = 3) => {
  const parser = new RowParser(format);
  const out = [];
  for (let i = 0; i < text.length; i += chunk) out.push(...parser.push(text.slice(i, i + chunk)));
  out.push(...parser.end());
  return out;
};

const format = (fields: Record<string, string>) =>
  dataFormatOf(
    PipelineObject.fromFields(
      'F',
      Object.entries(fields).map(([key, stringValue]) => ({ key, stringValue })),
    ),
  );

describe('RowParser', () => {
  it('reads CSV across chunk boundaries: quotes, doubled quotes, newlines in fields, NULL vs empty', () => {
    const text = 'a,"b,""c""",\n"multi\nline","",x\r\n\nlast,row,end';
    for (const chunk of [1, 2, 3, 7, 1000]) {
      expect(parseAll(text, CSV, chunk)).toEqual([
        { values: ['a', 'b,"c"', null], line: 1 },
        { values: ['multi\nline', '', 'x'], line: 2 },
        { values: ['last', 'row', 'end'], line: 5 },
      ]);
    }
  });

  it('names the line and the reason of a malformed record', () => {
    expect(() => parseAll('a,b\nc,d\ne,f,g\n')).toThrow(
      new MalformedRowError(3, 'expected 2 fields, found 3'),
    );
    expect(() => parseAll('a,b\n"open,b\n')).toThrow(/line 2: unterminated quoted field/);
    expect(() => parseAll('a,"b"x\n')).toThrow(/line 1: unexpected "x" after a closing quote/);
  });

  it('reads TSV escapes and \\N, and custom multi-character separators', () => {
    const tsv = format({ type: 'TSV' });
    expect(parseAll('a\\tb\t\\N\tc\\\\d\n', tsv)).toEqual([{ values: ['a\tb', null, 'c\\d'], line: 1 }]);
    const custom = format({ type: 'Custom', columnSeparator: '||', recordSeparator: '~~' });
    expect(parseAll('1||x~~2||~~', custom, 1)).toEqual([
      { values: ['1', 'x'], line: 1 },
      { values: ['2', null], line: 1 },
    ]);
  });

  it('round-trips what encodeRow writes', () => {
    const values = [['plain', '', null, 'q"uote', 'comma,', 'new\nline', 'tab\t']];
    for (const f of [CSV, format({ type: 'TSV' }), format({ type: 'CSV', columnSeparator: ';' })]) {
      const text = values.map((v) => encodeRow(v, f)).join('');
      expect(parseAll(text, f, 4).map((r) => r.values)).toEqual(values);
    }
  });
});
