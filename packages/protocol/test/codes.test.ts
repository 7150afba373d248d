// Close codes, retry hints and UTF-8 helpers. The close-code and error-code tables of
// PROTOCOL.md are parsed and compared with the code, so the spec and closePolicy agree.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  CloseCode,
  closePolicy,
  formatRetryHint,
  isRetryable,
  parseRetryHint,
  truncateUtf8,
  utf8Length,
  type ClosePolicy,
  type ErrorCode,
} from '@continuum/protocol';

const spec = readFileSync(new URL('../../../PROTOCOL.md', import.meta.url), 'utf8');
const bytesOf = (s: string) => new TextEncoder().encode(s).length;

/** Every row of the close-code table. */
const table: [number, ClosePolicy][] = [
  [1000, 'stop'],
  [1001, 'reconnect'],
  [1002, 'stop'],
  [1003, 'stop'],
  [1004, 'reconnect'],
  [1005, 'reconnect'],
  [1006, 'reconnect'],
  [1007, 'stop'],
  [1008, 'stop'],
  [1009, 'reconnect'],
  [1010, 'stop'],
  [1011, 'reconnect'],
  [1012, 'reconnect'],
  [1013, 'reconnect'],
  [1014, 'reconnect'],
  [1015, 'reconnect'],
  [4002, 'reconnect'],
  [4008, 'reconnect'],
  [4400, 'stop'],
  [4401, 'refresh-credentials'],
  [4403, 'stop'],
  [4408, 'reconnect'],
  [4409, 'stop'],
  [4429, 'reconnect'],
];

describe('closePolicy', () => {
  it.each(table)('%d → %s', (code, policy) => {
    expect(closePolicy(code)).toBe(policy);
    expect(isRetryable(code)).toBe(policy !== 'stop');
  });

  it('covers every named CloseCode', () => {
    const named = Object.values(CloseCode).sort();
    const rows = table.map(([code]) => code).filter((c) => c !== 1004);
    expect(rows.sort()).toEqual(named);
  });

  it('a replaced session never reconnects; refused credentials are asked for again', () => {
    expect(closePolicy(CloseCode.SESSION_REPLACED)).toBe('stop');
    expect(closePolicy(CloseCode.UNAUTHORIZED)).toBe('refresh-credentials');
    expect(closePolicy(CloseCode.FORBIDDEN)).toBe('stop');
  });

  const listed = new Set(table.map(([c]) => c));
  it('unknown codes in 4000–4399 reconnect', () => {
    for (let code = 4000; code <= 4399; code++) if (!listed.has(code)) expect(closePolicy(code)).toBe('reconnect');
  });
  it('unknown codes in 4400–4499 stop', () => {
    for (let code = 4400; code <= 4499; code++) if (!listed.has(code)) expect(closePolicy(code)).toBe('stop');
  });
  it('codes in 4500–4999 stop', () => {
    for (let code = 4500; code <= 4999; code++) expect(closePolicy(code)).toBe('stop');
  });
  it('unassigned and library codes (1016–3999) reconnect', () => {
    for (let code = 1016; code <= 3999; code++) expect(closePolicy(code)).toBe('reconnect');
  });

  describe('PROTOCOL.md agrees', () => {
    const section = spec.slice(spec.indexOf('## 16. Close codes'), spec.indexOf('## 17.'));
    const word = { stop: 'stop', reconnect: 'reconnect', refresh: 'refresh-credentials' } as const;

    it('the close-code table has a row for every code with the same action', () => {
      const rows = [...section.matchAll(/^\| (\d{4}) \|.*\| \*\*(stop|reconnect|refresh)\*\*[^|]*\|$/gm)].map(
        (m) => [Number(m[1]), word[m[2] as keyof typeof word]] as [number, ClosePolicy],
      );
      expect(rows).toEqual(table);
    });

    it('the band table matches closePolicy', () => {
      const bands = [...section.matchAll(/^\| (\d{4}) – (\d{4}) \| \*\*(stop|reconnect)\*\* \|/gm)];
      expect(bands.length).toBe(3);
      for (const [, lo, hi, action] of bands) {
        for (let code = Number(lo); code <= Number(hi); code++) {
          if (!listed.has(code)) expect(closePolicy(code)).toBe(action);
        }
      }
    });
  });
});

describe('error codes', () => {
  // A Record over the union: adding a code to ErrorCode without listing it here fails tsc.
  const all: Record<ErrorCode, true> = {
    INVALID_ARGUMENT: true,
    DECODE_FAILED: true,
    CONNECT_TIMEOUT: true,
    HANDSHAKE_REFUSED: true,
    AUTH_EXPIRED: true,
    AUTH_FORBIDDEN: true,
    HEARTBEAT_TIMEOUT: true,
    OUTBOX_FULL: true,
    EVICTED: true,
    MESSAGE_TOO_LARGE: true,
    SESSION_LOST: true,
    CLIENT_CLOSED: true,
    NOT_CONNECTED: true,
    REJECTED_BY_SERVER: true,
    RATE_LIMITED: true,
    PROTOCOL_ERROR: true,
    RECONNECT_EXHAUSTED: true,
  };

  it('PROTOCOL.md explains every ErrorCode, and no other', () => {
    const section = spec.slice(spec.indexOf('## 18. Error codes'), spec.indexOf('## 19.'));
    const documented = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(all).sort());
  });
});

describe('parseRetryHint', () => {
  const cases: [string, { minMs: number; maxMs: number } | undefined][] = [
    ['retry=2000-8000', { minMs: 2000, maxMs: 8000 }],
    ['retry=500', { minMs: 500, maxMs: 500 }],
    ['shutting down; retry=500', { minMs: 500, maxMs: 500 }],
    ['shutting down;retry=1-2', { minMs: 1, maxMs: 2 }],
    ['a, retry=100-200, b', { minMs: 100, maxMs: 200 }],
    ['restart retry=0-0', { minMs: 0, maxMs: 0 }],
    ['retry=8000-2000', { minMs: 2000, maxMs: 8000 }],
    ['retry=999999999', { minMs: 86_400_000, maxMs: 86_400_000 }],
    ['retry=1-999999999', { minMs: 1, maxMs: 86_400_000 }],
    ['retry=1-2; retry=3-4', { minMs: 1, maxMs: 2 }],
    ['', undefined],
    ['going away', undefined],
    ['retry=', undefined],
    ['retry=-5', undefined],
    ['retry=abc', undefined],
    ['retry=5x', undefined],
    ['retry=5-', undefined],
    ['retry=1234567890', undefined],
    ['noretry=5', undefined],
    ['retry =5', undefined],
    ['RETRY=5', undefined],
  ];
  it.each(cases)('%j', (reason, expected) => {
    expect(parseRetryHint(reason)).toEqual(expected);
  });

  it('never returns a window outside 0 … 24 h, or reversed', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.nat(2e9), fc.nat(2e9), (noise, a, b) => {
        for (const reason of [`${noise} retry=${a}-${b}`, `retry=${a}`, noise]) {
          const hint = parseRetryHint(reason);
          if (!hint) continue;
          expect(hint.minMs).toBeGreaterThanOrEqual(0);
          expect(hint.maxMs).toBeLessThanOrEqual(86_400_000);
          expect(hint.minMs).toBeLessThanOrEqual(hint.maxMs);
        }
      }),
    );
  });
});

describe('formatRetryHint', () => {
  it('writes the hint alone, or after the text', () => {
    expect(formatRetryHint('', 2000, 8000)).toBe('retry=2000-8000');
    expect(formatRetryHint('restarting', 2000, 8000)).toBe('restarting; retry=2000-8000');
    expect(formatRetryHint('x', 1.4, 2.6)).toBe('x; retry=1-3');
  });

  it('truncates long text so the reason fits in 123 bytes', () => {
    const reason = formatRetryHint('a'.repeat(500), 5000, 30000);
    expect(bytesOf(reason)).toBe(123);
    expect(reason.endsWith('; retry=5000-30000')).toBe(true);
    expect(parseRetryHint(reason)).toEqual({ minMs: 5000, maxMs: 30000 });
  });

  it('never splits a multibyte character', () => {
    for (const unit of ['é', '€', '😀']) {
      const reason = formatRetryHint(unit.repeat(200), 1000, 2000);
      expect(bytesOf(reason)).toBeLessThanOrEqual(123);
      expect(reason).not.toContain('\uFFFD');
      expect(reason.replace(/; retry=1000-2000$/, '')).toBe(unit.repeat([...reason].length - 17));
    }
  });

  it('any text and window: ≤ 123 bytes, and the window parses back', () => {
    const texts = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.string({ unit: fc.constantFrom('é', '€', '😀', 'a', ';', ' '), maxLength: 200 }),
    );
    fc.assert(
      fc.property(texts, fc.nat(86_400_000), fc.nat(86_400_000), (text, a, b) => {
        const [min, max] = a <= b ? [a, b] : [b, a];
        const reason = formatRetryHint(text, min, max);
        expect(bytesOf(reason)).toBeLessThanOrEqual(123);
        if (!reason.slice(0, -(`; retry=${min}-${max}`.length)).includes('retry=')) {
          expect(parseRetryHint(reason)).toEqual({ minMs: min, maxMs: max });
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('truncateUtf8', () => {
  it('examples', () => {
    expect(truncateUtf8('hello', 10)).toBe('hello');
    expect(truncateUtf8('hello', 3)).toBe('hel');
    expect(truncateUtf8('hello', 0)).toBe('');
    expect(truncateUtf8('éé', 3)).toBe('é');
    expect(truncateUtf8('€€', 5)).toBe('€');
    expect(truncateUtf8('a😀', 4)).toBe('a');
    expect(truncateUtf8('a😀', 5)).toBe('a😀');
    expect(truncateUtf8('', 0)).toBe('');
  });

  it('the longest prefix of whole code points within maxBytes', () => {
    const strings = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 80 }),
    );
    fc.assert(
      fc.property(strings, fc.nat(200), (text, max) => {
        const out = truncateUtf8(text, max);
        expect(text.startsWith(out)).toBe(true);
        expect(utf8Length(out)).toBeLessThanOrEqual(max);
        if (out.length < text.length) {
          // The next code point would not have fitted, and no surrogate pair was split.
          const next = String.fromCodePoint(text.codePointAt(out.length)!);
          expect(utf8Length(out) + utf8Length(next)).toBeGreaterThan(max);
          const last = out.charCodeAt(out.length - 1);
          const following = text.charCodeAt(out.length);
          expect(last >= 0xd800 && last <= 0xdbff && following >= 0xdc00 && following <= 0xdfff).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('utf8Length', () => {
  it('examples', () => {
    expect(utf8Length('')).toBe(0);
    expect(utf8Length('a')).toBe(1);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('€')).toBe(3);
    expect(utf8Length('😀')).toBe(4);
    expect(utf8Length('\uD800')).toBe(3); // a lone surrogate becomes U+FFFD
    expect(utf8Length('\uDC00\uD800')).toBe(6); // reversed pair: two lone surrogates
  });

  it('equals TextEncoder on random strings, lone surrogates included', () => {
    const encoder = new TextEncoder();
    const strings = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc.string({ unit: 'grapheme', maxLength: 50 }),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 100 }),
      fc.string({ unit: fc.constantFrom('\uD83D', '\uDE00', 'a', 'é', '\u07FF', '\u0800', '\uFFFF'), maxLength: 50 }),
    );
    fc.assert(
      fc.property(strings, (s) => {
        expect(utf8Length(s)).toBe(encoder.encode(s).length);
      }),
      { numRuns: 3000 },
    );
  });
});
