/**
 * Headless Chromium from npm alone: the binary `@sparticuz/chromium` ships (decompressed on first use),
 * driven by playwright-core. That package's default flags are for scraping in Lambda and switch off
 * what browser tests are for — CORS (`--disable-web-security`), mixed-content blocking and site
 * isolation — so they are filtered out here, and the browser enforces what a shopper's would.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';

const UNSAFE = [/^--disable-web-security$/, /^--allow-running-insecure-content$/, /^--disable-site-isolation-trials$/, /^--disable-features=/];
// Lambda's single process cannot outlive a closed browser context: each test has its own context.
const UNSUITED = [/^--single-process$/];

export const safeChromiumArgs = (args: string[]): string[] => args.filter((arg) => ![...UNSAFE, ...UNSUITED].some((flag) => flag.test(arg)));

/** @sparticuz/chromium is ESM-only, which Jest's CommonJS runtime cannot import: ask a Node process. */
async function sparticuzChromium(): Promise<{ executablePath: string; args: string[] }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', "import c from '@sparticuz/chromium'; console.log(JSON.stringify({ executablePath: await c.executablePath(), args: c.args }))"],
    { cwd: join(__dirname, '../..'), timeout: 120_000 },
  );
  return JSON.parse(stdout) as { executablePath: string; args: string[] };
}

export async function launchChromium(): Promise<Browser> {
  const { executablePath, args } = await sparticuzChromium();
  return chromium.launch({ executablePath, args: safeChromiumArgs(args), headless: true });
}
