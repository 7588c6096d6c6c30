// YouTrack permanent-token format: the documented examples pass (padding included); malformed values do not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { youtrackTokenProblem } from '../../src/connectors/youtrack/token.js';

describe('youtrackTokenProblem', () => {
  it.each([
    // JetBrains' documentation example: base64 parts keep their "=" padding.
    'perm:cm9vdA==.dG9rZW4=.rNZ38ije7uiWwnUTRDdyFDdUkoPUPi', // the documentation's example token
    // The older "perm-" form.
    'perm-YWRtaW4=.NDMtMg==.FAKEcanaryrandompart0123456789',
    // "+" and "/" in the base64 parts, no padding.
    'perm:am9lK2Rldg.bXkvdG9rZW4.canary_random-part.0',
  ])('accepts %s', (token) => {
    expect(youtrackTokenProblem(token)).toBeUndefined();
  });

  it.each([
    ['', 'starts with "perm:"'],
    ['Bearer perm:cm9vdA==.dG9rZW4=.abc', 'starts with "perm:"'],
    ['perm:cm9vdA==.dG9rZW4=', 'three parts'],
    ['perm:cm9vdA==..abc', 'three parts'],
    ['perm:cm9vdA==.dG9rZW4=.ab c', 'characters'],
    ['perm:cm9v=dA.dG9rZW4=.abc', 'base64'],
    ['perm:cm9vdA==.dG9rZW4=.abc\n', 'characters'],
  ])('refuses %j (%s)', (token, reason) => {
    expect(youtrackTokenProblem(token)).toContain(reason);
  });

  it('never puts the token in its reason', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 6, maxLength: 80 }), (token) => {
        const problem = youtrackTokenProblem(token);
        return problem === undefined || !problem.includes(token);
      }),
    );
  });

  it('accepts every well-formed token built from base64 parts', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 20 }), fc.stringMatching(/^[A-Za-z0-9]{10,40}$/), (login, name, secret) => {
        const token = `perm:${Buffer.from(login).toString('base64')}.${Buffer.from(name).toString('base64')}.${secret}`;
        return youtrackTokenProblem(token) === undefined;
      }),
    );
  });
});
