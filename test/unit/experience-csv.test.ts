import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, csvRow, toCsv } from '../../lib/edge/http/csv.js';

const FORMULA_CHARS = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];
// Random text rarely starts with a formula character; half the cells are made to.
const cell = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc
    .tuple(fc.constantFrom(...FORMULA_CHARS), fc.string({ unit: 'binary', maxLength: 20 }))
    .map(([first, rest]) => first + rest),
);

/** A strict RFC 4180 reader: every record ends in CRLF, quotes only around whole fields. */
function parseCsv(document: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let at = 0;
  while (at < document.length) {
    let field = '';
    if (document[at] === '"') {
      at += 1;
      for (;;) {
        const quote = document.indexOf('"', at);
        if (quote < 0) throw new Error('unterminated quoted field');
        field += document.slice(at, quote);
        at = quote + 1;
        if (document[at] !== '"') break;
        field += '"';
        at += 1;
      }
    } else {
      const end = document.slice(at).search(/[,\r\n"]/);
      field = end < 0 ? document.slice(at) : document.slice(at, at + end);
      at += field.length;
    }
    record.push(field);
    if (document[at] === ',') at += 1;
    else if (document.startsWith('\r\n', at)) {
      records.push(record);
      record = [];
      at += 2;
    } else throw new Error(`unexpected ${JSON.stringify(document[at])} at ${at}`);
  }
  if (record.length) throw new Error('last record lacks CRLF');
  return records;
}

describe('csvCell', () => {
  it('writes plain text as it is', () => {
    expect(csvCell('Acme Ltd')).toBe('Acme Ltd');
    expect(csvCell('')).toBe('');
  });

  it('quotes fields holding a comma, quote, CR or LF, doubling inner quotes', () => {
    expect(csvCell('Acme, Inc.')).toBe('"Acme, Inc."');
    expect(csvCell('the "best" one')).toBe('"the ""best"" one"');
    expect(csvCell('line one\nline two')).toBe('"line one\nline two"');
    expect(csvCell('a\r\nb')).toBe('"a\r\nb"');
  });

  it('prefixes text that starts like a formula with a single quote', () => {
    expect(csvCell('=HYPERLINK("http://evil.example","click")')).toBe(
      '"\'=HYPERLINK(""http://evil.example"",""click"")"',
    );
    expect(csvCell('+1 555 0100')).toBe("'+1 555 0100");
    expect(csvCell('-2+3+cmd')).toBe("'-2+3+cmd");
    expect(csvCell('@SUM(A1:A9)')).toBe("'@SUM(A1:A9)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('\r=1')).toBe('"\'\r=1"');
    expect(csvCell('＝1+1')).toBe("'＝1+1");
  });

  it('leaves formula characters alone past the first position', () => {
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell('user@example.com')).toBe('user@example.com');
    expect(csvCell(' =1')).toBe(' =1');
  });

  it('writes numbers bare, negative ones included, and prefixes only text that looks negative', () => {
    expect(csvCell(-12.5)).toBe('-12.5');
    expect(csvCell(0)).toBe('0');
    expect(csvCell(-0)).toBe('0');
    expect(csvCell(30)).toBe('30');
    expect(csvCell(0.3333)).toBe('0.3333');
    expect(csvCell(12n)).toBe('12');
    expect(csvCell('-12.5')).toBe("'-12.5");
  });

  it('leaves empty what JSON cannot hold either', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(Number.POSITIVE_INFINITY)).toBe('');
  });

  it('writes booleans, dates as ISO 8601, and other objects as JSON text', () => {
    expect(csvCell(true)).toBe('true');
    expect(csvCell(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe('2026-01-02T03:04:05.000Z');
    expect(csvCell(['enterprise', 'emea'])).toBe('"[""enterprise"",""emea""]"');
    expect(csvCell({ a: 1 })).toBe('"{""a"":1}"');
  });

  it('refuses values with no text form', () => {
    expect(() => csvCell(Symbol('x'))).toThrow(TypeError);
    expect(() => csvCell(() => 1)).toThrow(TypeError);
  });
});

describe('csvRow', () => {
  it('joins cells with commas and ends with CRLF', () => {
    expect(csvRow(['A', 30, null, 'x,y'])).toBe('A,30,,"x,y"\r\n');
    expect(csvRow([])).toBe('\r\n');
  });
});

describe('toCsv', () => {
  it('writes the header, then a record per row, each ending in CRLF', () => {
    expect(
      toCsv(
        ['group', 'nps', 'answers'],
        [
          ['A', 30, 10],
          ['B', -12.5, 8],
          ['C', null, 0],
        ],
      ),
    ).toBe('group,nps,answers\r\nA,30,10\r\nB,-12.5,8\r\nC,,0\r\n');
  });

  it('guards header cells as it guards data', () => {
    expect(toCsv(['=cmd', 'a,b'], [])).toBe('\'=cmd,"a,b"\r\n');
  });

  it('refuses a row whose width differs from the header', () => {
    expect(() => toCsv(['a', 'b'], [['1']])).toThrow(RangeError);
  });

  it('equals its header and rows written one csvRow at a time', () => {
    const rows = [
      ['x', 1],
      ['y,z', -2],
    ];
    expect(toCsv(['name', 'n'], rows)).toBe(csvRow(['name', 'n']) + rows.map(csvRow).join(''));
  });

  it('reads back cell for cell, formula cells with their quote, for any text (property)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 5 })
          .chain((width) =>
            fc.tuple(
              fc.array(cell, { minLength: width, maxLength: width }),
              fc.array(fc.array(cell, { minLength: width, maxLength: width }), { maxLength: 5 }),
            ),
          ),
        ([header, rows]) => {
          const expected = [header, ...rows].map((record) =>
            record.map((value) => (/^[=+\-@\t\r＝＋－＠]/.test(value) ? `'${value}` : value)),
          );
          expect(parseCsv(toCsv(header, rows))).toEqual(expected);
        },
      ),
    );
  });

  it('never lets a text cell start with a formula character (property)', () => {
    fc.assert(
      fc.property(cell, (value) => {
        const [[read]] = parseCsv(csvRow([value])) as [[string]];
        expect(read).not.toMatch(/^[=+\-@\t\r＝＋－＠]/);
      }),
    );
  });

  it('writes every finite number so that it reads back as the same number (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        expect(Number(csvCell(value))).toBe(value === 0 ? 0 : value);
      }),
    );
  });
});
