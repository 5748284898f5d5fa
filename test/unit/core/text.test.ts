// Text checks on input bytes: NUL bytes and invalid UTF-8 found with their line and column,
// agreeing with Node's own strict decoder on what is valid.
import { describe, expect, it } from 'vitest';
import { decodeText, firstInvalidUtf8, printable } from '../../../src/core/text.js';

const strictOk = (b: Uint8Array) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
};

describe('decodeText', () => {
  it('decodes UTF-8 text, multi-byte characters included', () => {
    expect(decodeText(Buffer.from('a: "größe €𝄞"\n'))).toEqual({
      ok: true,
      text: 'a: "größe €𝄞"\n',
    });
  });

  it('places a NUL byte and an invalid byte at line:column (characters, not bytes)', () => {
    expect(decodeText(Buffer.from('ok\nää\0x'))).toEqual({
      ok: false,
      problem: { line: 2, column: 3, message: 'NUL byte; expected a text file' },
    });
    const bad = Buffer.concat([Buffer.from('one\ntwo ö '), Buffer.from([0xff, 0x41])]);
    expect(decodeText(bad)).toEqual({
      ok: false,
      problem: { line: 2, column: 7, message: 'invalid UTF-8 byte 0xff; expected UTF-8 text' },
    });
  });

  it('lets 8-bit text through with replace, but never NUL bytes', () => {
    expect(decodeText(Buffer.from([0x61, 0xe9, 0x62]), 'replace')).toEqual({
      ok: true,
      text: 'a\ufffdb',
    });
    expect(decodeText(Buffer.from([0x61, 0, 0x62]), 'replace').ok).toBe(false);
  });

  it('agrees with the strict TextDecoder on overlong forms, surrogates and truncation', () => {
    const cases = [
      [0xc0, 0xaf],
      [0xe0, 0x80, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
      [0xf0, 0x9d, 0x84, 0x9e],
      [0xc3, 0xa4],
      [0x80],
    ];
    for (const c of cases) {
      const b = Uint8Array.from(c);
      expect(firstInvalidUtf8(b) === -1, c.join(',')).toBe(strictOk(b));
    }
  });
});

describe('printable', () => {
  it('keeps a value on one line and cuts long ones', () => {
    expect(printable('a\nb\tc\u0000')).toBe('a\\nb\\tc\\u0000');
    expect(printable('x'.repeat(300), 10)).toBe('xxxxxxxxxx... (300 characters)');
  });
});
