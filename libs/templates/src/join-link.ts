/** `${APP_BASE_URL}/join#token=…`: a join link, its token in the fragment like an invite's (never in a server log or a Referer). */
export function joinLinkUrl(appBaseUrl: string, token: string): string {
  return `${appBaseUrl.replace(/\/+$/, '')}/join#token=${token}`;
}
