export {
  createTemplateRenderer,
  escapeHtml,
  singleLine,
  type InviteView,
  type OrgTemplateSource,
  type RenderedInvite,
  type TemplateRenderer,
} from './invite.template.ts';
export { builtInStrings, localeChain, type InviteStrings } from './locales.ts';
export { fillPlaceholders, placeholderNames, unknownPlaceholders } from './org-template.ts';
export { acceptLink, emailTemplateOf, passwordResetLink } from './settings.ts';
export { joinLinkUrl } from './join-link.ts';
export { applySettingsPatch, templateLocaleOf, templatePlaceholderErrors, withDefaultTemplate } from './settings.ts';
export { renderAddressCode, renderPasswordReset, type AddressCodeView, type PasswordResetView, type RenderedAccountEmail } from './account.template.ts';
