import { describe, expect, it } from 'vitest';
import { openJobData, SEALED_PREFIX, SecretBox, SecretFieldError, sealJobData } from '../src/index.ts';

const key = (fill: number) => btoa(String.fromCharCode(...new Uint8Array(32).fill(fill)));

describe('sealed secret fields', () => {
  const data = {
    fields: { '*password': 'p@ss', command: 'echo hi', '*list': ['a', 'b'] },
    objects: {
      Db: {
        id: 'Db',
        name: 'Db',
        fields: [
          { key: '*apiToken', stringValue: 'tok' },
          { key: 'host', stringValue: 'h' },
        ],
      },
    },
  };

  it('should seal every *-prefixed value and open it back with the same key', async () => {
    const box = SecretBox.fromBase64(key(1));
    const sealed = (await sealJobData(data, box, 'job')) as typeof data;
    const text = JSON.stringify(sealed);
    for (const secret of ['p@ss', 'tok', '"a"', '"b"']) expect(text).not.toContain(secret);
    expect(sealed.fields.command).toBe('echo hi');
    expect(sealed.fields['*password'].startsWith(SEALED_PREFIX)).toBe(true);
    expect(await openJobData(sealed, box)).toEqual(data);
  });

  it('should refuse secret fields without a key, naming them', async () => {
    await expect(sealJobData({ '*password': 'x', a: 'b' }, undefined, 'jobs[0]')).rejects.toThrow(
      /jobs\[0\]: "\*password" is a secret field/,
    );
    expect(await sealJobData({ a: 'b' }, undefined, 'jobs[0]')).toEqual({ a: 'b' });
  });

  it('should not open with a wrong key, without a key, or when moved to another field', async () => {
    const sealed = (await sealJobData(
      { '*a': 'one', '*b': 'two' },
      SecretBox.fromBase64(key(1)),
      'j',
    )) as Record<string, string>;
    await expect(openJobData(sealed, SecretBox.fromBase64(key(2)))).rejects.toBeInstanceOf(SecretFieldError);
    await expect(openJobData(sealed, undefined)).rejects.toThrow(/no --secret-key/);
    const swapped = { '*a': sealed['*b'], '*b': sealed['*a'] };
    await expect(openJobData(swapped, SecretBox.fromBase64(key(1)))).rejects.toThrow(/cannot be opened/);
  });

  it('should reject a key that is not 32 bytes of base64, naming the option', () => {
    expect(() => SecretBox.fromBase64('short')).toThrow(expect.objectContaining({ option: 'secretKey' }));
  });
});
