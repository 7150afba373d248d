// Debian's Chromium and the flags every launch uses, for the e2e suite and the bench's
// browser phase alike (e2e/README.md, TOOLCHAIN.md). Never a downloaded browser: do not
// run `playwright install`.

/** Debian's chromium package; scripts/test.mjs passes CHROMIUM_PATH, which overrides it. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Without the background-networking flags the machine's closed network refuses
 * Chromium's own connections. The Debian wrapper prints a harmless
 * `[: … unexpected operator`.
 */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
