import fc from 'fast-check';
import { TaskFailure } from '../src/index.ts';

/** Random UTF-16 units (lone surrogates and control characters included) and random bytes decoded. */
export const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 3000 }),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 3000 }).map((u) => String.fromCharCode(...u)),
  fc.uint8Array({ maxLength: 3000 }).map((b) => new TextDecoder().decode(b)),
  fc.uint8Array({ maxLength: 3000 }).map((b) => String.fromCharCode(...b)),
  fc.constantFrom('\u001b[31mred\u001b[0m', '\uD800', 'a\uDC00b', '\uFFFE\uFFFF', '\u0000'),
);

function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

const trap = () => {
  throw new Error('trap');
};

const hostileObjects: Array<() => unknown> = [
  () => Object.create(null),
  revoked,
  () => new Proxy({}, { get: trap, getPrototypeOf: trap, has: trap }),
  () => ({ toString: trap, [Symbol.toPrimitive]: trap }),
  () => Object.defineProperty(new Error('m'), 'message', { get: trap }),
];

/**
 * Everything a handler might throw, the hostile kinds included. Values that break inspection are
 * built inside the property (fast-check itself inspects what arbitraries generate).
 */
export const thrownValue: fc.Arbitrary<() => unknown> = fc.oneof(
  fc.anything().map((v) => () => v),
  hostileString.map((v) => () => v),
  fc.tuple(hostileString, hostileString, hostileString).map(
    ([m, s, c]) =>
      () =>
        Object.assign(new Error(m), { stack: s, code: c }),
  ),
  fc.tuple(hostileString, hostileString).map(
    ([id, m]) =>
      () =>
        new TaskFailure(id, m),
  ),
  fc.constantFrom(...hostileObjects),
);
