// A modal dialog on the browser's own <dialog>: it keeps focus inside, Escape closes it, and the
// first field is focused when it opens. Its content is usually a form.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

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

// "Delete X?" with the consequence spelled out; resolves the action, showing its error if it fails.
export function ConfirmDialog(props: {
  title: string;
  message: string;
  confirm: string;
  error?: string;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <p>{props.message}</p>
      {props.error && <p class="error" role="alert">{props.error}</p>}
      <div class="actions">
        <button type="button" class="secondary" onClick={props.onClose}>Cancel</button>
        <button type="button" class="danger" onClick={props.onConfirm}>{props.confirm}</button>
      </div>
    </Dialog>
  );
}
