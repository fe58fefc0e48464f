import { randomBytes } from 'node:crypto';

const traceparentPattern = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The W3C trace context that travels with a request to the invites service (and from
 * there into events): the caller's when it sent a valid one, otherwise a new trace.
 */
export function traceparentOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  if (value && traceparentPattern.test(value.trim())) {
    return `00-${value.trim().slice(3, 35)}-${randomBytes(8).toString('hex')}-${value.trim().slice(-2)}`;
  }
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}
