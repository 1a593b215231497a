// The signed-in user's own account: who they are, and changing their password.
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import type { CurrentUser } from "../../api/types";

export function AccountPage(props: { user: CurrentUser }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [message, setMessage] = useState("");
  const [error, setError] = useState("");

  async function submit(event: Event) {
    event.preventDefault();
    setMessage("");
    setError("");
    if (next !== again) {
      setError("The new password and its repetition differ.");
      return;
    }
    try {
      await api.request("PUT", `/api/v2.0/users/${props.user.user_id}/password`, { old_password: current, new_password: next });
      setCurrent("");
      setNext("");
      setAgain("");
      setMessage("Your password was changed.");
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <section>
      <header class="page-head"><h1>Your account</h1></header>
      <dl class="facts">
        <dt>User name</dt><dd>{props.user.username}</dd>
        <dt>Email</dt><dd>{props.user.email || "none"}</dd>
        <dt>Administrator</dt><dd>{props.user.sysadmin_flag ? "yes" : "no"}</dd>
      </dl>
      <h2>Change password</h2>
      <form onSubmit={submit} class="narrow">
        <label>Current password<input type="password" required autocomplete="current-password" value={current} onInput={(e) => setCurrent((e.target as HTMLInputElement).value)} /></label>
        <label>New password<input type="password" required autocomplete="new-password" value={next} onInput={(e) => setNext((e.target as HTMLInputElement).value)} /></label>
        <label>New password again<input type="password" required autocomplete="new-password" value={again} onInput={(e) => setAgain((e.target as HTMLInputElement).value)} /></label>
        {error && <p class="error" role="alert">{error}</p>}
        {message && <p role="status">{message}</p>}
        <button type="submit">Change password</button>
      </form>
    </section>
  );
}
