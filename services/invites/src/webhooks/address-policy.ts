import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';

/**
 * Where webhooks may go (SSRF). An endpoint's host must resolve to public addresses
 * only: loopback, private, shared (CGNAT), link-local, multicast, unspecified,
 * documentation and other reserved ranges are refused, in IPv4 and IPv6, including
 * IPv4 written inside IPv6 (::ffff:127.0.0.1, NAT64 64:ff9b::/96, 6to4 2002::/16).
 * Checked when an endpoint is registered or changed, and again at every delivery on
 * the addresses the connection then uses (`guardedLookup`), because DNS can change
 * in between. Only an explicit development setting (WEBHOOKS_ALLOW_PRIVATE) lifts it.
 */

/** Resolves a host name to every address it has. */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolve: Resolve = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** A host that must not be reached, with the sentence that says why. */
export class AddressRefused extends Error {
  readonly code = 'EADDRREFUSED_WEBHOOK';
}

type Range = { bytes: number[]; bits: number; kind: string; embedded?: (ip: Uint8Array) => Uint8Array };

const v4 = (text: string, bits: number, kind: string): Range => ({ bytes: text.split('.').map(Number), bits, kind });

const ipv4Ranges: Range[] = [
  v4('0.0.0.0', 8, 'unspecified'),
  v4('10.0.0.0', 8, 'private'),
  v4('100.64.0.0', 10, 'private (shared, carrier-grade NAT)'),
  v4('127.0.0.0', 8, 'loopback'),
  v4('169.254.0.0', 16, 'link-local'),
  v4('172.16.0.0', 12, 'private'),
  v4('192.0.0.0', 24, 'reserved'),
  v4('192.0.2.0', 24, 'reserved (documentation)'),
  v4('192.88.99.0', 24, 'reserved'),
  v4('192.168.0.0', 16, 'private'),
  v4('198.18.0.0', 15, 'reserved (benchmarking)'),
  v4('198.51.100.0', 24, 'reserved (documentation)'),
  v4('203.0.113.0', 24, 'reserved (documentation)'),
  v4('224.0.0.0', 4, 'multicast'),
  v4('240.0.0.0', 4, 'reserved'),
];

const v6 = (text: string, bits: number, kind: string, embedded?: (ip: Uint8Array) => Uint8Array): Range => ({ bytes: [...parseIPv6(text)!], bits, kind, embedded });
const lastFour = (ip: Uint8Array) => ip.subarray(12, 16);

// More specific ranges first: the first match decides.
const ipv6Ranges: Range[] = [
  v6('::', 128, 'unspecified'),
  v6('::1', 128, 'loopback'),
  v6('::ffff:0:0', 96, 'IPv4-mapped', lastFour),
  v6('64:ff9b::', 96, 'NAT64', lastFour),
  v6('64:ff9b:1::', 48, 'private (local NAT64)'),
  v6('::', 8, 'reserved'),
  v6('100::', 64, 'reserved (discard)'),
  v6('2001:db8::', 32, 'reserved (documentation)'),
  v6('2001::', 23, 'reserved'),
  v6('2002::', 16, '6to4', (ip) => ip.subarray(2, 6)),
  v6('fc00::', 7, 'private (unique local)'),
  v6('fe80::', 10, 'link-local'),
  v6('fec0::', 10, 'private (site-local)'),
  v6('ff00::', 8, 'multicast'),
];

function inRange(ip: Uint8Array, range: Range): boolean {
  let bits = range.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip[i]! & mask) !== (range.bytes[i]! & mask)) return false;
  }
  return true;
}

/** The 16 bytes of an IPv6 address in any textual form (`::`, an IPv4 tail, a zone), or undefined. */
export function parseIPv6(text: string): Uint8Array | undefined {
  let address = text.replace(/^\[|\]$/g, '').split('%')[0]!;
  if (isIP(address) !== 6) return undefined;
  // An IPv4 tail (::ffff:127.0.0.1) becomes its two groups (::ffff:7f00:1).
  const tail = address.match(/^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (tail) {
    const [a, b, c, d] = tail.slice(2).map(Number) as [number, number, number, number];
    address = `${tail[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left, right] = address.split('::') as [string, string | undefined];
  const leftGroups = left ? left.split(':') : [];
  const rightGroups = right ? right.split(':') : [];
  const groups = right === undefined ? leftGroups : [...leftGroups, ...Array<string>(8 - leftGroups.length - rightGroups.length).fill('0'), ...rightGroups];
  const words = groups.map((g) => parseInt(g, 16));
  if (words.length !== 8 || words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff)) return undefined;
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytes;
}

function kindOfIPv4(bytes: Uint8Array): string | undefined {
  return ipv4Ranges.find((range) => inRange(bytes, range))?.kind;
}

/**
 * Why `address` (an IPv4 or IPv6 literal) must not be reached, e.g. `loopback`, or
 * undefined for a public address. Text that is no address is refused too.
 */
export function refusedKind(address: string): string | undefined {
  const family = isIP(address.replace(/^\[|\]$/g, '').split('%')[0]!);
  if (family === 4) return kindOfIPv4(Uint8Array.from(address.split('.').map(Number)));
  const bytes = parseIPv6(address);
  if (family !== 6 || !bytes) return 'not an IP address';
  const range = ipv6Ranges.find((r) => inRange(bytes, r));
  if (!range) return undefined;
  if (!range.embedded) return range.kind;
  // The IPv4 address inside decides: ::ffff:127.0.0.1 is loopback, ::ffff:8.8.8.8 is public.
  const inner = kindOfIPv4(range.embedded(bytes));
  return inner ? `${inner} (${range.kind})` : range.kind === 'IPv4-mapped' ? undefined : range.kind;
}

const article = (word: string) => (/^[aeiou]/i.test(word) ? 'an' : 'a');

/** The sentence for a refused address. */
export function refusal(host: string, address: string, kind: string): string {
  const where = host === address ? `${address} is` : `${host} resolves to ${address},`;
  return `${where} ${article(kind)} ${kind} address; webhooks go to public addresses only`;
}

export interface UrlPolicy {
  /** WEBHOOKS_ALLOW_PRIVATE: any address and plain http (development only). */
  allowPrivate: boolean;
  resolve?: Resolve;
  /** Longest a name may take to resolve when an endpoint is registered (default 3 s). */
  resolveTimeoutMs?: number;
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** What is wrong with `text` as an endpoint address before any name is resolved, or undefined. */
export function urlProblem(text: string, policy: UrlPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a web address';
  }
  if (url.protocol !== 'https:' && !(policy.allowPrivate && url.protocol === 'http:')) return 'must start with https://';
  if (url.username || url.password) return 'must not hold a user name or password; authenticate deliveries by their signature';
  if (!hostOf(url)) return 'has no host';
  return undefined;
}

/**
 * Checks an endpoint address: its form, then (unless private addresses are allowed)
 * every address its host resolves to. Resolves to a sentence saying what is wrong, or
 * undefined when it may be used.
 */
export async function checkWebhookUrl(text: string, policy: UrlPolicy): Promise<string | undefined> {
  const problem = urlProblem(text, policy);
  if (problem || policy.allowPrivate) return problem;
  const host = hostOf(new URL(text));
  const resolve = policy.resolve ?? systemResolve;
  const timeoutMs = policy.resolveTimeoutMs ?? 3000;
  // A request waits for this: a DNS server that does not answer must not hold it past its deadline.
  const timely: Resolve = (name) =>
    Promise.race([resolve(name), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('DNS timeout')), timeoutMs).unref())]);
  try {
    await resolvePublic(host, timely);
    return undefined;
  } catch (error) {
    if (error instanceof AddressRefused) return error.message;
    return `names a host that does not resolve (${host}); use a name with public DNS records`;
  }
}

/** Every address of `host`, or AddressRefused when any of them is not public (an IP literal is checked as is). */
export async function resolvePublic(host: string, resolve: Resolve): Promise<LookupAddress[]> {
  const family = isIP(host);
  const addresses = family ? [{ address: host, family }] : await resolve(host);
  if (addresses.length === 0) throw new Error(`${host} has no address`);
  for (const { address } of addresses) {
    const kind = refusedKind(address);
    if (kind) throw new AddressRefused(refusal(host, address, kind));
  }
  return addresses;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `http.request`: the connection goes to the addresses that were just
 * resolved and checked, so a name that changes between the check and the connection
 * (DNS rebinding) cannot slip through.
 */
export function guardedLookup(resolve: Resolve) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolvePublic(hostname, resolve).then(
      (all) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const wanted = family === 4 || family === 6 ? all.filter((a) => a.family === family) : all;
        const usable = wanted.length ? wanted : all;
        if (options.all) callback(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (error: Error) => callback(Object.assign(error, { code: (error as NodeJS.ErrnoException).code ?? 'ENOTFOUND' }), '', 0),
    );
  };
}
