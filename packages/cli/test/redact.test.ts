import { describe, expect, it } from 'vitest';
import { redact, redactText } from '../src/index.ts';

describe('redactText', () => {
  it('should mask URL passwords, also when they hold / or :', () => {
    expect(redactText('redis://user:pa/ss@host:6379/0')).toBe('redis://user:***@host:6379/0');
    expect(redactText('x rediss+sentinel://:pw@h1:26379,h2/m y')).toBe(
      'x rediss+sentinel://:***@h1:26379,h2/m y',
    );
    expect(redactText('redis://tokenonly@host')).toBe('redis://***@host');
    expect(redactText('got "redis://a:b:c@h"')).toBe('got "redis://a:***@h"');
  });

  it('should mask password-like query parameters and keep the others', () => {
    expect(redactText('redis+sentinel://h/m?sentinelPassword=s3&db=2&X-Amz-Signature=abc')).toBe(
      'redis+sentinel://h/m?sentinelPassword=***&db=2&X-Amz-Signature=***',
    );
  });

  it('should leave text without secrets alone', () => {
    expect(redactText('polling wg-1 at http://127.0.0.1:8080/')).toBe(
      'polling wg-1 at http://127.0.0.1:8080/',
    );
  });
});

describe('redact', () => {
  it('should mask secret-named fields, strings inside objects and drop ioredis command arguments', () => {
    const error = Object.assign(new Error('WRONGPASS for redis://:pw@h'), {
      command: { name: 'auth', args: ['pw'] },
      code: 'ERR',
    });
    const out = redact({
      httpToken: 't',
      nested: { '*password': 'p', url: 'redis://u:pw@h', list: ['redis://:pw@x'] },
      err: error,
      keep: 3,
    });
    expect(JSON.stringify(out)).not.toMatch(/"t"|"p"|:pw@|"args"/);
    expect(out).toMatchObject({
      httpToken: '***',
      keep: 3,
      err: { message: 'WRONGPASS for redis://:***@h', code: 'ERR' },
    });
  });
});
