/**
 * The leak scanner: looks through everything the system wrote — logs, records, queue messages, HTTP
 * answers — for card numbers (as lib/card recognises them, the one definition the system refuses
 * and masks by: a known network's prefix, length and check digit, grouped or not), CVCs where they can be
 * identified as such (next to a CVC-like name), and known secret values. It counts what it read, so a
 * scan of nothing cannot pass unnoticed.
 */
import { cardNumbersIn } from '../../lib/card';

export interface Finding {
  source: string;
  kind: 'card_number' | 'cvc' | 'secret';
  /** Where, masked: never the value itself. */
  excerpt: string;
}

export interface ScanReport {
  findings: Finding[];
  counts: Record<string, { items: number; bytes: number }>;
}

const CVC = /["']?\b(?:card_)?(?:cvc|cvv|cvv2|security_code)\b["']?\s*[:=]\s*["']?(\d{3,4})\b/gi;

export function scan(sources: Record<string, string[]>, secrets: string[]): ScanReport {
  const findings: Finding[] = [];
  const counts: ScanReport['counts'] = {};
  for (const [source, items] of Object.entries(sources)) {
    counts[source] = { items: items.length, bytes: items.reduce((n, item) => n + item.length, 0) };
    for (const text of items) {
      for (const digits of cardNumbersIn(text)) {
        findings.push({ source, kind: 'card_number', excerpt: `…${digits.slice(-4)} at ${text.indexOf(digits.slice(-4))}` });
      }
      for (const match of text.matchAll(CVC)) findings.push({ source, kind: 'cvc', excerpt: `${match[0].replace(/\d/g, '#')} at ${match.index}` });
      for (const secret of secrets) {
        const at = text.indexOf(secret);
        if (at >= 0) findings.push({ source, kind: 'secret', excerpt: `${secret.slice(0, 4)}… at ${at}` });
      }
    }
  }
  return { findings, counts };
}
