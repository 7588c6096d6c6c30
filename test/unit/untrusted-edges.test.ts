// Where upstream text is cut, which variation selectors it keeps, and which link targets count as an upstream's.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearUpstreamOrigins, registerUpstreamOrigin } from '../../src/core/egress.js';
import { cleanText, head, neutralise, page, safeSlice } from '../../src/core/untrusted.js';

describe('cutting upstream text at a character boundary', () => {
  it('keeps text that fits whole, unchanged, even when its last unit is a lone high surrogate', () => {
    expect(safeSlice('ab\uD83D', 3)).toBe('ab\uD83D');
    expect(safeSlice('ab', 3)).toBe('ab');
  });

  it.each([
    ['the first character above U+FFFF', '\uD800\uDC00'],
    ['the last code point, U+10FFFF', '\uDBFF\uDFFF'],
  ])('never splits %s at the cut', (_name, pair) => {
    expect(safeSlice(`a${pair}b`, 2)).toBe('a');
    expect(safeSlice(`a${pair}b`, 3)).toBe(`a${pair}`);
  });

  it('adds no ellipsis to text exactly as long as the limit, or shorter', () => {
    expect(head('abc', 3)).toBe('abc');
    expect(head('ab', 3)).toBe('ab');
    expect(head('abcd', 3)).toBe('abc…');
  });

  it.each([
    ['an emoji', '\uD83D\uDE00'],
    ['the first character above U+FFFF', '\uD800\uDC00'],
    ['the last code point, U+10FFFF', '\uDBFF\uDFFF'],
  ])('starts a page that would begin inside %s at the whole character', (_name, pair) => {
    expect(page(`a${pair}b`, 2, 10)).toEqual({ text: `${pair}b`, total: 4 });
  });

  it('starts a page where asked when the character there is not the second half of a pair', () => {
    expect(page('ab\uE000c', 2, 10)).toEqual({ text: '\uE000c', total: 4 });
    expect(page('a\uD800', 1, 10)).toEqual({ text: '\uD800', total: 2 });
    // A stray second half at the very start has nothing before it to step back to.
    expect(page('\uDE00abc', 0, 10)).toEqual({ text: '\uDE00abc', total: 4 });
  });
});

describe('variation selectors after a keycap digit', () => {
  it('keeps the selector of a symbol that follows a digit, which is no keycap', () => {
    expect(cleanText('1\u263A\uFE0F')).toBe('1\u263A\uFE0F');
  });
});

describe('link targets and the configured upstreams', () => {
  beforeEach(() => {
    registerUpstreamOrigin(new URL('https://redmine.example.test/'));
    registerUpstreamOrigin(new URL('http://plain.example.test/'));
  });
  afterEach(() => clearUpstreamOrigins());

  it('keeps an image on a plain-HTTP upstream', () => {
    expect(neutralise('![x](http://plain.example.test/a.png)')).toBe('![x](http://plain.example.test/a.png)');
  });

  it('keeps an HTML image on an upstream whose address has blanks around it', () => {
    expect(neutralise('<img src=" https://redmine.example.test/x.png">')).toBe('<img src=" https://redmine.example.test/x.png">');
  });

  it.each([
    ['another scheme on an upstream host', '![x](ftp://redmine.example.test/a.png)', '[image: x] (link to redmine.example.test, not shown)'],
    ['an upstream host written without the slashes after the scheme', '![x](http:redmine.example.test/a.png)', '[image: x] (link to redmine.example.test, not shown)'],
    ['an HTML address that is no URL', '<img src="http://[oops">', '[image: ] (link to another address, not shown)'],
    ['a relative HTML address, which character references could turn into any URL', '<img src="pic.png">', '[image: ] (link to another address, not shown)'],
    ['an HTML image whose alt text is single-quoted with blanks around "="', `<img alt = 'two words' src="https://evil.example/x.png">`, '[image: two words] (link to evil.example, not shown)'],
  ])('replaces %s', (_name, input, expected) => {
    expect(neutralise(input)).toBe(expected);
  });

  it('keeps a reference definition with a plain relative path, like an inline link', () => {
    expect(neutralise('[a]: /relative/path')).toBe('[a]: /relative/path');
  });
});

describe('tool-call markup right after other text', () => {
  it('escapes tool-call markup that follows a word with no space', () => {
    expect(neutralise('see:<invoke name="x">')).toBe('see:&lt;invoke name="x">');
  });
});
