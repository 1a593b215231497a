// The portal's shell: who is signed in, the header and navigation, and which page shows.
// A signed-out visitor (or a session that expired) goes to /login and comes back afterwards.
import { useEffect, useLayoutEffect, useState } from "preact/hooks";
import { api } from "./api/client";
import type { CurrentUser } from "./api/types";
import { Link } from "./components/Link";
import { PageBoundary } from "./components/PageBoundary";
import { AccountPage } from "./pages/account/AccountPage";
import { RegistriesPage, ReplicationsPage } from "./pages/admin/ReplicationPages";
import { UsersPage } from "./pages/admin/UsersPage";
import { AuditLogPage, JobsPage, ScanningPage, SettingsPage, SystemRobotsPage } from "./pages/admin/SystemPages";
import { ArtifactPage } from "./pages/artifact/ArtifactPage";
import { LoginPage } from "./pages/login/LoginPage";
import { ProjectPage } from "./pages/project/ProjectPage";
import { ProjectsPage } from "./pages/projects/ProjectsPage";
import { RepositoryPage } from "./pages/repository/RepositoryPage";
import { currentPath, match, navigate, usePath } from "./router";

function loginPath(next: string): string {
  return next.startsWith("/login") ? "/login" : `/login?next=${encodeURIComponent(next)}`;
}

// Only local paths: never an absolute URL an attacker put in ?next=.
export function safeNext(search: string): string {
  const next = new URLSearchParams(search).get("next") ?? "/";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

const ADMIN_PAGES = [
  ["/admin/users", "Users"],
  ["/admin/robots", "Robot accounts"],
  ["/admin/logs", "Audit log"],
  ["/admin/registries", "Registries"],
  ["/admin/replications", "Replications"],
  ["/admin/scanning", "Scanning"],
  ["/admin/jobs", "Job queues"],
  ["/admin/settings", "Settings"],
] as const;

const LOADING = <p class="muted">Loading…</p>;

// The page for a path, or null when there is none. Pages that depend on who the user is wait for
// `user`; the others render (and fetch) while the user is still being asked for.
function pageFor(path: string, user: CurrentUser | undefined) {
  let m;
  if (match("/", path) || match("/projects", path)) return <ProjectsPage />;
  if ((m = match("/projects/:name", path))) return <ProjectPage name={m.name} />;
  if ((m = match("/projects/:name/:tab", path))) return <ProjectPage name={m.name} tab={m.tab} />;
  if ((m = match("/projects/:name/repositories/:repo", path))) return <RepositoryPage project={m.name} repository={m.repo} />;
  if ((m = match("/projects/:name/repositories/:repo/artifacts/:ref", path)))
    return <ArtifactPage project={m.name} repository={m.repo} reference={m.ref} />;
  if (match("/account", path)) return user ? <AccountPage user={user} /> : LOADING;
  if (path.split("?")[0].startsWith("/admin/")) {
    if (!user) return LOADING;
    if (!user.sysadmin_flag) return <p role="alert">Only administrators may open the administration pages.</p>;
    if (match("/admin/users", path)) return <UsersPage me={user.username} />;
    if (match("/admin/robots", path)) return <SystemRobotsPage />;
    if (match("/admin/logs", path)) return <AuditLogPage />;
    if (match("/admin/registries", path)) return <RegistriesPage />;
    if (match("/admin/replications", path)) return <ReplicationsPage />;
    if (match("/admin/scanning", path)) return <ScanningPage />;
    if (match("/admin/jobs", path)) return <JobsPage />;
    if (match("/admin/settings", path)) return <SettingsPage />;
  }
  return null;
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

  useLayoutEffect(() => {
    api.onUnauthorized = () => {
      setUser(null);
      navigate(loginPath(currentPath()), true);
    };
    void loadUser();
  }, []);

  useEffect(() => {
    if (user === null && !path.startsWith("/login")) navigate(loginPath(path), true);
  }, [user, path]);

  useEffect(() => {
    const main = document.querySelector<HTMLElement>("main h1");
    document.title = main?.textContent ? `${main.textContent} · Berth` : "Berth";
  });

  if (path.startsWith("/login") || user === null) {
    if (user === undefined) return LOADING;
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

  const page = pageFor(path, user) ?? <p role="alert">There is no page at {path}.</p>;
  const section = path.split("?")[0];
  return (
    <>
      <a class="skip" href="#main">Skip to the content</a>
      <header class="top">
        <Link href="/projects" class="brand">Berth</Link>
        <nav aria-label="Main">
          <Link href="/projects" current={section === "/" || section.startsWith("/projects")}>Projects</Link>
          {user?.sysadmin_flag && ADMIN_PAGES.map(([href, label]) => (
            <Link key={href} href={href} current={section === href}>{label}</Link>
          ))}
        </nav>
        <span class="who">
          {user && <Link href="/account" current={section === "/account"}>{user.username}{user.sysadmin_flag ? " (admin)" : ""}</Link>}
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
      <main class="content" id="main" tabIndex={-1}><PageBoundary key={section}>{page}</PageBoundary></main>
    </>
  );
}
