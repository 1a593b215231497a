// The portal's shell: who is signed in, the header and navigation, and which page shows.
// A signed-out visitor (or a session that expired) goes to /login and comes back afterwards.
import { useEffect, useState } from "preact/hooks";
import { api } from "./api/client";
import type { CurrentUser } from "./api/types";
import { LoginPage } from "./pages/login/LoginPage";
import { ProjectsPage } from "./pages/projects/ProjectsPage";
import { currentPath, match, navigate, usePath } from "./router";

function loginPath(next: string): string {
  return next.startsWith("/login") ? "/login" : `/login?next=${encodeURIComponent(next)}`;
}

// Only local paths: never an absolute URL an attacker put in ?next=.
export function safeNext(search: string): string {
  const next = new URLSearchParams(search).get("next") ?? "/";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function App() {
  const path = usePath();
  const [user, setUser] = useState<CurrentUser | null | undefined>(undefined);

  async function loadUser() {
    try {
      setUser(await api.json<CurrentUser>("GET", "/api/v2.0/users/current"));
    } catch {
      setUser(null);
    }
  }

  useEffect(() => {
    api.onUnauthorized = () => {
      setUser(null);
      navigate(loginPath(currentPath()), true);
    };
    void loadUser();
  }, []);

  useEffect(() => {
    if (user === null && !path.startsWith("/login")) navigate(loginPath(path), true);
  }, [user, path]);

  if (user === undefined) return <p class="loading">Loading…</p>;
  if (path.startsWith("/login") || user === null) {
    return (
      <LoginPage
        next={safeNext(window.location.search)}
        onSignedIn={async () => {
          await loadUser();
          navigate(safeNext(window.location.search), true);
        }}
      />
    );
  }

  let page;
  if (match("/", path) || match("/projects", path)) page = <ProjectsPage />;
  else page = <p role="alert">There is no page at {path}.</p>;

  return (
    <>
      <header class="top">
        <a href="/projects" class="brand" onClick={(e) => { e.preventDefault(); navigate("/projects"); }}>Berth</a>
        <nav aria-label="Main">
          <a href="/projects" onClick={(e) => { e.preventDefault(); navigate("/projects"); }}>Projects</a>
        </nav>
        <span class="who">
          {user.username}
          {user.sysadmin_flag ? " (admin)" : ""}
          <button
            class="secondary"
            onClick={async () => {
              await api.logout().catch(() => undefined);
              setUser(null);
              navigate("/login", true);
            }}
          >
            Log out
          </button>
        </span>
      </header>
      <main class="content">{page}</main>
    </>
  );
}
