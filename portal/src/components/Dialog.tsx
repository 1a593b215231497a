// A modal dialog on the browser's own <dialog>: it keeps focus inside, Escape closes it, and the
// first field is focused when it opens. Its content is usually a form.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

let dialogs = 0;

export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useRef(`dialog-${++dialogs}`).current;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (!dialog.open) dialog.showModal();
    const first = dialog.querySelector<HTMLElement>("input, select, textarea, button");
    first?.focus();
  }, []);
  return (
    <dialog ref={ref} class={props.wide ? "card wide" : "card"} aria-labelledby={id}
      onCancel={(e) => { e.preventDefault(); props.onClose(); }}>
      <h2 id={id}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}

// "Delete X?" with the consequence spelled out. onConfirm does the deed (and closes the dialog);
// when it fails, its error is shown here and the dialog stays.
export function ConfirmDialog(props: {
  title: string;
  message: string;
  confirm: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}) {
  const [error, setError] = useState("");
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <p>{props.message}</p>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="actions">
        <button type="button" class="secondary" onClick={props.onClose}>Cancel</button>
        <button type="button" class="danger"
          onClick={() => props.onConfirm().catch((e: Error) => setError(e.message))}>{props.confirm}</button>
      </div>
    </Dialog>
  );
}

// The foot of a dialog's form: its error, Cancel, and the submit button.
export function FormActions(props: { submit: string; error: string; onCancel: () => void }) {
  return (
    <>
      {props.error && <p class="error" role="alert">{props.error}</p>}
      <div class="actions">
        <button type="button" class="secondary" onClick={props.onCancel}>Cancel</button>
        <button type="submit">{props.submit}</button>
      </div>
    </>
  );
}
