import { sealedAs, uuidv7, type AddressCodeSent, type JoinAddressConfirmed, type JoinCodeRequest, type JoinConfirmRequest } from '@invite/contracts';
import { User } from '../db/entities.ts';
import { assertMaySendCode, storeNewCode, tryNewestCode } from '../domain/address-codes.ts';
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

/** What a proof of a join link's address is an HMAC of: distinct from any invite token (no `:` in those). */
const proofSubject = (token: string, email: string) => `join:${token}:${email.toLowerCase()}`;

/** Whether `proof` proves `email` for the join link of `token`. */
export function provesJoinAddress(ctx: Context, token: string, email: string, proof: string | undefined): boolean {
  return proof !== undefined && ctx.domain.proofs.verify(proofSubject(token, email), proof);
}

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
  return inTransaction(ctx, async (tx) => {
    // One request at a time per link, so the caps below hold under concurrent requests.
    await tx.em.execute(`select 1 from join_links where id = ? for no key update`, [link.id]);
    const owner = { joinLinkId: link.id, email };
    const now = await assertMaySendCode(
      tx,
      owner,
      (today, hours) => `${today} codes were sent to this address for this link in the last 24 hours, the most we send; try again in ${hours} h`,
    );
    const [org] = await tx.em.execute<{ name: string; locale: string | null }[]>(
      `select o.name, s.default_locale as locale from orgs o left join org_settings s on s.org_id = o.id where o.id = ?`,
      [link.org_id],
    );
    const { code, expiresAt } = storeNewCode(tx, owner, now);
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

/**
 * `join.confirm-code`: the newest code of (link, address), typed back, buys the proof.
 * A wrong code counts against it (committed even though the caller gets an error).
 */
export async function confirmJoinCode(ctx: Context, request: JoinConfirmRequest): Promise<JoinAddressConfirmed> {
  const email = request.email.toLowerCase();
  const link = await usableFor(ctx, request.token, email);
  const outcome = await inTransaction(ctx, async (tx) => {
    const holder: Context = { ...tx, actor: { kind: 'anonymous' } };
    const target = `join_link:${link.id}`;
    const error = await tryNewestCode(tx, { joinLinkId: link.id, email }, request.code, {
      noCodeDetail: 'No code was sent to this address for this link yet; ask for one',
      onWrong: (attemptsLeft) => recordAudit(holder, link.org_id, 'join_link.address_code_failed', target, { email, attemptsLeft }),
    });
    if (error) return { error } as const;
    recordAudit(holder, link.org_id, 'join_link.address_verified', target, { email });
    const accountExists = (await tx.em.count(User, { email })) > 0;
    return { reply: { proof: tx.domain.proofs.proofOf(proofSubject(request.token, email)), accountExists } } as const;
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.reply;
}
