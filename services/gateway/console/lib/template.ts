// Template placeholders, checked before a preview or a save. No DOM here.

/**
 * templatePlaceholders of libs/contracts (schemas/console.ts), copied as plain text so
 * that the settings chunk does not carry the schema library; a test keeps the two equal.
 */
export const placeholders = ['orgName', 'inviterName', 'role', 'link', 'expiresAt', 'message', 'email'] as const;

/** Placeholders in `text` that the template engine does not know, e.g. `{{nmae}}`. */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].map((m) => m[1]!).filter((name) => !(placeholders as readonly string[]).includes(name));
}
