// Sign-in with a local user (Harbor's /c/login), then back to where the user was going.
import { useState } from "preact/hooks";
import { api, ApiError } from "../../api/client";

export function LoginPage(props: { next: string; onSignedIn: () => Promise<void> }) {
  const [principal, setPrincipal] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      await api.login(principal, password);
      await props.onSignedIn();
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? "Invalid user name or password." : String((e as Error).message));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="login">
      <form class="card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Berth</h1>
        <label>
          User name
          <input name="principal" autocomplete="username" required value={principal}
            onInput={(e) => setPrincipal((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
      </form>
    </main>
  );
}
