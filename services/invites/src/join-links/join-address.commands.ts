import { randomInt, timingSafeEqual } from 'node:crypto';
import {
  DomainError,
  hashToken,
  sealedAs,
  uuidv7,
  type AddressCodeSent,
  type JoinAddressConfirmed,
  type JoinCodeRequest,
  type JoinConfirmRequest,
} from '@invite/contracts';
import { AddressCode, User } from '../db/entities.ts';
import { enqueueAccountEmail, recordAudit } from '../domain/changes.ts';
import { inTransaction, type Context } from '../domain/context.ts';
import { domainAllowed, domainNotAllowed, findByToken, unusableProblem, type JoinLinkRow } from './join-link.rows.ts';

/**
 * Codes that prove an address for a join link, before an account is created for it:
 * the holder names the address, we email six digits there, the holder types them back
 * and gets a proof bound to this link and this address. The same machinery as an
 * invite's codes (address_codes, the `address-code` account email, the same settings):
 * a code dies after ADDRESS_CODE_MAX_ATTEMPTS wrong entries or ADDRESS_CODE_TTL_MINUTES,
 * only the newest code of a (link, address) counts, and a (link, address) gets at most
 * ADDRESS_CODES_PER_DAY codes, one per ADDRESS_CODE_COOLDOWN_SECONDS. The gateway's
 * per-client limit on token routes bounds how many addresses one client can mail.
 */

const minute = 60_000;
const day = 24 * 60 * minute;

/** What a proof of a join link's address is an HMAC of: distinct from any invite token (no `:` in those). */
const proofSubject = (token: string, email: string) => `join:${token}:${email.toLowerCase()}`;

/** Whether `proof` proves `email` for the join link of `token`. */
export function provesJoinAddress(ctx: Context, token: string, email: string, proof: string | undefined): boolean {
  return proof !== undefined && ctx.domain.proofs.verify(proofSubject(token, email), proof);
}

const codeHash = (id: string, code: string) => hashToken(`${id}:${code}`);

/** The link of `token`, usable, for an address at an allowed domain; else why not. */
async function usableFor(ctx: Context, token: string, email: string): Promise<JoinLinkRow> {
  const link = await findByToken(ctx, token);
  const problem = unusableProblem(link);
  if (problem) throw problem;
  if (!domainAllowed(link.allowed_domains, email)) throw domainNotAllowed(link.allowed_domains, email);
  return link;
}

/** `join.send-code`: emails a new six-digit code to `email`, for this link. */
export async function sendJoinCode(ctx: Context, request: JoinCodeRequest): Promise<AddressCodeSent> {
  const email = request.email.toLowerCase();
  const link = await usableFor(ctx, request.token, email);
  const { config } = ctx.domain;
  return inTransaction(ctx, async (tx) => {
    // One request at a time per link, so the caps below hold under concurrent requests.
    await tx.em.execute(`select 1 from join_links where id = ? for no key update`, [link.id]);
    const [recent] = await tx.em.execute<{ today: number; first: Date | null; last: Date | null }[]>(
      `select count(*)::int as today, min(created_at) as first, max(created_at) as last
         from address_codes where join_link_id = ? and email = ? and created_at > now() - interval '1 day'`,
      [link.id, email],
    );
    const now = new Date();
    if (recent?.last) {
      const wait = new Date(recent.last).getTime() + config.ADDRESS_CODE_COOLDOWN_SECONDS * 1000 - now.getTime();
      if (wait > 0) {
        const retryAfter = Math.ceil(wait / 1000);
        throw new DomainError('RATE_LIMITED', { detail: `A code was sent to this address moments ago; ask for another in ${retryAfter} s`, retryAfter });
      }
    }
    if (recent && recent.today >= config.ADDRESS_CODES_PER_DAY && recent.first) {
      const retryAfter = Math.max(1, Math.ceil((new Date(recent.first).getTime() + day - now.getTime()) / 1000));
      throw new DomainError('RATE_LIMITED', {
        detail: `${recent.today} codes were sent to this address for this link in the last 24 hours, the most we send; try again in ${Math.ceil(retryAfter / 3600)} h`,
        retryAfter,
      });
    }
    const [org] = await tx.em.execute<{ name: string; locale: string | null }[]>(
      `select o.name, s.default_locale as locale from orgs o left join org_settings s on s.org_id = o.id where o.id = ?`,
      [link.org_id],
    );
    const code = String(randomInt(1_000_000)).padStart(6, '0');
    const id = uuidv7();
    const expiresAt = new Date(now.getTime() + config.ADDRESS_CODE_TTL_MINUTES * minute);
    tx.em.create(AddressCode, { id, inviteId: null, joinLinkId: link.id, email, tokenVersion: 1, codeHash: codeHash(id, code), expiresAt });
    const holder: Context = { ...tx, actor: { kind: 'anonymous' } };
    recordAudit(holder, link.org_id, 'join_link.address_code_sent', `join_link:${link.id}`, { email, label: link.label, expiresAt: expiresAt.toISOString() });
    enqueueAccountEmail(holder, {
      id: uuidv7(),
      type: 'join.address-code',
      occurredAt: now.toISOString(),
      orgId: link.org_id,
      joinLinkId: link.id,
      email,
      locale: org?.locale ?? 'en',
      orgName: org?.name ?? '',
      expiresAt: expiresAt.toISOString(),
      encryptedCode: tx.domain.cipher.encrypt(code, sealedAs.joinAddressCode(link.id, email)),
    });
    return { email, expiresAt: expiresAt.toISOString() };
  });
}

interface CodeRow {
  id: string;
  code_hash: string;
  attempts: number;
  expires_at: Date;
  used_at: Date | null;
}

/**
 * `join.confirm-code`: the newest code of (link, address), typed back, buys the proof.
 * A wrong code counts against it (committed even though the caller gets an error).
 */
export async function confirmJoinCode(ctx: Context, request: JoinConfirmRequest): Promise<JoinAddressConfirmed> {
  const email = request.email.toLowerCase();
  const link = await usableFor(ctx, request.token, email);
  const maxAttempts = ctx.domain.config.ADDRESS_CODE_MAX_ATTEMPTS;
  const outcome = await inTransaction(ctx, async (tx) => {
    const [row] = await tx.em.execute<CodeRow[]>(
      `select id, code_hash, attempts, expires_at, used_at from address_codes
        where join_link_id = ? and email = ? order by created_at desc limit 1 for update`,
      [link.id, email],
    );
    const holder: Context = { ...tx, actor: { kind: 'anonymous' } };
    const target = `join_link:${link.id}`;
    if (!row || row.used_at || new Date(row.expires_at) <= new Date() || row.attempts >= maxAttempts) {
      return { error: new DomainError('VERIFICATION_CODE_EXPIRED', { detail: row ? undefined : 'No code was sent to this address for this link yet; ask for one' }) } as const;
    }
    if (!timingSafeEqual(Buffer.from(codeHash(row.id, request.code)), Buffer.from(row.code_hash))) {
      const attemptsLeft = maxAttempts - row.attempts - 1;
      await tx.em.nativeUpdate(AddressCode, { id: row.id }, { attempts: row.attempts + 1 });
      recordAudit(holder, link.org_id, 'join_link.address_code_failed', target, { email, attemptsLeft });
      const detail =
        attemptsLeft > 0
          ? `That is not the code we sent; ${attemptsLeft} ${attemptsLeft === 1 ? 'try' : 'tries'} left`
          : 'That is not the code we sent, and it was the last try; ask for a new code';
      return { error: new DomainError('VERIFICATION_CODE_INVALID', { detail, errors: [{ path: '/code', message: 'is not the code we sent' }] }) } as const;
    }
    await tx.em.nativeUpdate(AddressCode, { id: row.id }, { usedAt: new Date() });
    recordAudit(holder, link.org_id, 'join_link.address_verified', target, { email });
    const accountExists = (await tx.em.count(User, { email })) > 0;
    return { reply: { proof: tx.domain.proofs.proofOf(proofSubject(request.token, email)), accountExists } } as const;
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.reply;
}
