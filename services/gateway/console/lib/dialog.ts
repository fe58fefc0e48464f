import { byId } from './dom.ts';

/** A confirmation in the page's modal <dialog>: focus moves in, Escape cancels, focus returns. */
export function confirmDialog(title: string, text: string, confirmLabel: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm');
  const yes = byId<HTMLButtonElement>('confirm-yes');
  const no = byId<HTMLButtonElement>('confirm-no');
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = text;
  yes.textContent = confirmLabel;
  const opener = document.activeElement as HTMLElement | null;
  return new Promise((resolve) => {
    const finish = (answer: boolean) => {
      yes.removeEventListener('click', onYes);
      no.removeEventListener('click', onNo);
      dialog.removeEventListener('close', onClose);
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
      resolve(answer);
    };
    const onYes = () => finish(true);
    const onNo = () => finish(false);
    const onClose = () => finish(false);
    yes.addEventListener('click', onYes);
    no.addEventListener('click', onNo);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    no.focus();
  });
}
