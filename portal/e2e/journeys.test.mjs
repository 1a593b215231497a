// The journeys a user makes in the portal, in a real browser against a real `berth serve`, in the
// order a new customer would make them. Each step saves a screenshot and passes an accessibility
// check (harness.mjs); later journeys build on what earlier ones created. Run by
// tests/browser/journeys.sh, which starts the registry and prepares the images.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { adminApi, admin, baseUrl, eventually, launchBrowser, look, openPage, pushChart, signIn, skopeoPull, skopeoPush } from "./harness.mjs";

const project = "team-a";
const developer = { username: "dana", password: "Dana-Passw0rd", email: "dana@example.test" };
let browser;
let robotSecret = "";

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

// Runs one journey in a fresh page, and fails it on any script error or CSP refusal.
async function journey(options, body) {
  const page = await openPage(browser, options);
  try {
    await body(page);
    assert.deepEqual(page.problems, [], "the page logged script errors or CSP refusals");
  } finally {
    await page.context().close();
  }
}

async function signedInAsAdmin(page) {
  await signIn(page, admin.username, admin.password);
  await page.getByRole("heading", { name: "Projects" }).waitFor();
}

test("a wrong password shows an error and signs no one in", () =>
  journey({}, async (page) => {
    await page.goto("/projects");
    await page.waitForURL(/\/login\?next=%2Fprojects$/);
    await look(page, "login");
    await page.getByLabel("User name").fill(admin.username);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await assert.doesNotReject(page.getByRole("alert").getByText("Invalid user name or password.").waitFor());
    await look(page, "login-wrong-password");
    assert.match(page.url(), /\/login/);
  }));

test("the admin signs in and creates a private project", () =>
  journey({}, async (page) => {
    await signedInAsAdmin(page);
    await look(page, "projects-empty");
    await page.getByRole("button", { name: "New project" }).click();
    const dialog = page.getByRole("dialog", { name: "New project" });
    await dialog.getByLabel("Name").fill(project);
    await dialog.getByLabel("Storage limit in GiB (empty: none)").fill("2");
    await look(page, "project-new");
    await dialog.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: project }).waitFor();
    await page.getByText("Private", { exact: true }).waitFor();
    const created = await adminApi("GET", `/projects/${project}`);
    assert.equal(created.metadata.public, "false");
    const [quota] = await adminApi("GET", `/quotas?reference=project&reference_id=${created.project_id}`);
    assert.equal(quota.hard.storage, 2 * 1024 ** 3);

    await page.getByRole("link", { name: "Projects", exact: true }).first().click();
    await page.getByRole("cell", { name: project, exact: true }).waitFor();
    await look(page, "projects-list");

    // The API's refusals reach the user in words, not as a blank page.
    await page.getByRole("button", { name: "New project" }).click();
    await dialog.getByLabel("Name").fill(project);
    await dialog.getByRole("button", { name: "Create" }).click();
    await dialog.getByRole("alert").filter({ hasText: /already exists/ }).waitFor();
    await look(page, "project-exists");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await page.goto("/projects/no-such-project/repositories");
    await page.getByRole("alert").filter({ hasText: /not found/i }).waitFor();
    await page.getByRole("navigation", { name: "Main" }).waitFor();
  }));

test("the admin creates a user and adds her to the project as a developer", () =>
  journey({}, async (page) => {
    await signedInAsAdmin(page);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
    await page.getByRole("button", { name: "New user" }).click();
    const dialog = page.getByRole("dialog", { name: "New user" });
    await dialog.getByLabel("User name").fill(developer.username);
    await dialog.getByLabel("Email").fill(developer.email);
    await dialog.getByLabel("Password").fill(developer.password);
    await dialog.getByRole("button", { name: "Create" }).click();
    await page.getByRole("cell", { name: developer.username, exact: true }).waitFor();
    await look(page, "admin-users");

    await page.goto(`/projects/${project}/members`);
    await page.getByRole("button", { name: "Add member" }).click();
    const add = page.getByRole("dialog", { name: "Add member" });
    await add.getByLabel("User name").fill(developer.username);
    await add.getByLabel("Role").selectOption({ label: "Developer" });
    await look(page, "member-add");
    await add.getByRole("button", { name: "Add" }).click();
    await page.getByRole("cell", { name: developer.username, exact: true }).waitFor();
    await look(page, "members");
    const members = await adminApi("GET", `/projects/${project}/members?entityname=${developer.username}`);
    assert.equal(members.length, 1);
    assert.equal(members[0].role_id, 2);

    // A temporary colleague: added, made maintainer, removed; then made admin and deleted.
    await adminApi("POST", "/users", { username: "temp", email: "temp@example.test", realname: "", password: "Temp-Passw0rd" });
    await page.getByRole("button", { name: "Add member" }).click();
    await add.getByLabel("User name").fill("temp");
    await add.getByRole("button", { name: "Add" }).click();
    await page.getByLabel("Role of temp").selectOption({ label: "Maintainer" });
    await eventually(async () => (await adminApi("GET", `/projects/${project}/members?entityname=temp`))[0].role_id === 4, "temp is a maintainer");
    await page.getByRole("button", { name: "Remove member temp" }).click();
    await page.getByRole("dialog", { name: "Remove temp?" }).getByRole("button", { name: "Remove" }).click();
    await page.getByRole("cell", { name: "temp", exact: true }).waitFor({ state: "detached" });
    assert.equal((await adminApi("GET", `/projects/${project}/members?entityname=temp`)).length, 0);

    await page.goto("/admin/users");
    await page.getByLabel("Search users").fill("temp");
    await page.getByRole("button", { name: "Make administrator temp" }).click();
    await page.getByRole("button", { name: "Revoke administrator from temp" }).waitFor();
    const temp = (await adminApi("GET", "/users?q=username%3Dtemp"))[0];
    assert.equal(temp.sysadmin_flag, true);
    await page.getByRole("button", { name: "Delete user temp" }).click();
    await page.getByRole("dialog", { name: "Delete user temp?" }).getByRole("button", { name: "Delete" }).click();
    await page.getByRole("cell", { name: "temp", exact: true }).waitFor({ state: "detached" });
  }));

test("a robot account for CI: its secret is shown once, and skopeo pushes with it", () =>
  journey({}, async (page) => {
    await signedInAsAdmin(page);
    await page.goto(`/projects/${project}/robots`);
    await page.getByRole("button", { name: "New robot account" }).click();
    const dialog = page.getByRole("dialog", { name: "New robot account" });
    await dialog.getByLabel("Name", { exact: true }).fill("ci");
    await dialog.getByLabel("Expires after (days; empty: never)").fill("30");
    await look(page, "robot-new");
    await dialog.getByRole("button", { name: "Create" }).click();
    const secretDialog = page.getByRole("dialog", { name: `Secret of robot$${project}+ci` });
    robotSecret = (await secretDialog.getByTestId("robot-secret").textContent()) ?? "";
    assert.ok(robotSecret.length >= 16, `a secret: "${robotSecret}"`);
    await look(page, "robot-secret");
    await secretDialog.getByRole("button", { name: "Done" }).click();
    await page.getByRole("cell", { name: `robot$${project}+ci`, exact: true }).waitFor();
    assert.equal(await page.getByText(robotSecret).count(), 0, "the secret is gone once the dialog is closed");
    await look(page, "robots");

    // What CI does with it: push the multi-platform index and a single image.
    const robot = { username: `robot$${project}+ci`, password: robotSecret };
    await skopeoPush("index", `${project}/app:1.0`, robot);
    await skopeoPush("multi", `${project}/app:multi`, robot);

    // A second robot, to refresh, disable and delete without touching CI's.
    await page.getByRole("button", { name: "New robot account" }).click();
    await dialog.getByLabel("Name", { exact: true }).fill("spare");
    await dialog.getByRole("button", { name: "Create" }).click();
    const spareName = `robot$${project}+spare`;
    const first = (await page.getByRole("dialog", { name: `Secret of ${spareName}` }).getByTestId("robot-secret").textContent()) ?? "";
    await page.getByRole("button", { name: "Done" }).click();
    await page.getByRole("button", { name: `Refresh the secret of ${spareName}` }).click();
    const refreshedDialog = page.getByRole("dialog", { name: `Secret of ${spareName}` });
    const second = (await refreshedDialog.getByTestId("robot-secret").textContent()) ?? "";
    assert.ok(second && second !== first, "a new secret");
    await refreshedDialog.getByRole("button", { name: "Done" }).click();
    await assert.rejects(skopeoPush("tiny-000", `${project}/spare:1`, { username: spareName, password: first }), "the old secret no longer works");
    await skopeoPush("tiny-000", `${project}/spare:1`, { username: spareName, password: second });
    await page.getByRole("button", { name: `Disable ${spareName}` }).click();
    await page.getByRole("row").filter({ hasText: spareName }).getByRole("cell", { name: "Disabled", exact: true }).waitFor();
    await assert.rejects(skopeoPush("tiny-000", `${project}/spare:2`, { username: spareName, password: second }), "a disabled robot is refused");
    await page.getByRole("button", { name: `Delete ${spareName}` }).click();
    await page.getByRole("dialog", { name: `Delete ${spareName}?` }).getByRole("button", { name: "Delete" }).click();
    await page.getByRole("cell", { name: spareName, exact: true }).waitFor({ state: "detached" });
  }));

test("pushed images appear with their tags, size and platforms", () =>
  journey({}, async (page) => {
    await signedInAsAdmin(page);
    await page.getByRole("link", { name: project }).click();
    await page.getByRole("link", { name: `${project}/app` }).click();
    await page.getByRole("heading", { name: `${project}/app` }).waitFor();
    const index = await adminApi("GET", `/projects/${project}/repositories/app/artifacts/1.0`);
    const row = page.getByRole("row").filter({ hasText: "1.0" });
    await row.getByText("linux/amd64, linux/arm64").waitFor();
    const sizeText = await row.locator("td.num").first().textContent();
    const kib = index.size / 1024;
    assert.equal(sizeText, index.size < 1024 ? `${index.size} B` : `${kib < 1024 ? kib.toFixed(1) + " KiB" : (kib / 1024).toFixed(1) + " MiB"}`);
    await page.getByRole("row").filter({ hasText: "multi" }).waitFor();
    await look(page, "artifacts");

    await row.getByRole("link").first().click();
    await page.getByRole("heading", { name: index.digest }).waitFor();
    await page.getByRole("heading", { name: "Images" }).waitFor();
    await look(page, "artifact-index");
  }));

test("an image is scanned on demand and its vulnerabilities read in the table", () =>
  journey({}, async (page) => {
    await skopeoPush("rootfs", `${project}/debian:bookworm`);
    await signedInAsAdmin(page);
    await page.goto(`/projects/${project}/repositories/debian`);
    await page.getByRole("row").filter({ hasText: "bookworm" }).getByRole("link").first().click();
    await page.getByText("Not scanned").waitFor();
    await page.getByRole("button", { name: "Scan now" }).click();
    const table = page.getByRole("table", { name: "Vulnerabilities" });
    await table.waitFor({ timeout: 60_000 });
    const apt = table.getByRole("row").filter({ hasText: "CVE-2011-3374" }).filter({ has: page.getByRole("cell", { name: "apt", exact: true }) });
    await apt.getByRole("cell", { name: "Low", exact: true }).waitFor();
    await look(page, "vulnerabilities");

    const report = await adminApi("GET", `/projects/${project}/repositories/debian/artifacts/bookworm/additions/vulnerabilities`);
    const total = Object.values(report)[0].vulnerabilities.length;
    await page.getByRole("status").filter({ hasText: `${total} of ${total}` }).waitFor();
    await page.getByLabel("Filter").fill("CVE-2011-3374");
    const matching = Object.values(report)[0].vulnerabilities.filter((v) => v.id === "CVE-2011-3374").length;
    await page.getByRole("status").filter({ hasText: `${matching} of ${total}` }).waitFor();
    await look(page, "vulnerabilities-filtered");

    await page.getByRole("button", { name: "Generate SBOM" }).click();
    const cyclonedx = page.getByRole("link", { name: "Download SBOM (CycloneDX)" });
    await cyclonedx.waitFor({ timeout: 60_000 });
    const [download] = await Promise.all([page.waitForEvent("download"), cyclonedx.click()]);
    const sbom = JSON.parse(readFileSync(await download.path(), "utf8"));
    assert.equal(sbom.bomFormat, "CycloneDX");
    assert.ok(sbom.components.some((c) => c.name === "apt"), "the SBOM lists apt");
    const [spdxDownload] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download SBOM (SPDX)" }).click()]);
    assert.match(JSON.parse(readFileSync(await spdxDownload.path(), "utf8")).spdxVersion, /^SPDX-2/);
    await look(page, "sbom");
  }));

test("blocking vulnerable images refuses the pull", () =>
  journey({}, async (page) => {
    const scratch = mkdtempSync(join(tmpdir(), "berth-pull-"));
    assert.equal((await skopeoPull(`${project}/debian:bookworm`, join(scratch, "before"))).ok, true, "pulls before the policy");
    await signedInAsAdmin(page);
    await page.goto(`/projects/${project}/configuration`);
    await page.getByLabel("Prevent vulnerable images from being pulled").check();
    await page.getByLabel("Refuse images with vulnerabilities of this severity or worse").selectOption("low");
    await look(page, "configuration");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    const refused = await skopeoPull(`${project}/debian:bookworm`, join(scratch, "after"));
    assert.equal(refused.ok, false, "the pull is refused");
    assert.match(refused.output, /vulnerab/i);
    // An image that was scanned and has no findings still pulls (one never scanned does not, as in Harbor).
    await adminApi("POST", `/projects/${project}/repositories/app/artifacts/multi/scan`);
    for (let i = 0; i < 100; i++) {
      const a = await adminApi("GET", `/projects/${project}/repositories/app/artifacts/multi?with_scan_overview=true`);
      if (Object.values(a.scan_overview ?? {})[0]?.scan_status === "Success") break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const clean = await skopeoPull(`${project}/app:multi`, join(scratch, "clean"));
    assert.equal(clean.ok, true, `an image without findings still pulls: ${clean.output}`);
  }));

test("a tag is deleted and the artifact stays", () =>
  journey({}, async (page) => {
    await signedInAsAdmin(page);
    await page.goto(`/projects/${project}/repositories/app`);
    await page.getByRole("button", { name: "Delete tag multi" }).click();
    await look(page, "tag-delete");
    await page.getByRole("dialog", { name: "Delete tag multi?" }).getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Delete tag multi" }).waitFor({ state: "detached" });
    const tags = (await adminApi("GET", `/projects/${project}/repositories/app/artifacts?with_tag=true`)).flatMap((a) => (a.tags ?? []).map((t) => t.name));
    assert.ok(!tags.includes("multi"), `tags left: ${tags}`);
    assert.ok(tags.includes("1.0"));
  }));

test("a Helm chart shows its README and values", () =>
  journey({}, async (page) => {
    await pushChart(process.env.CHART_TGZ, `${project}/charts/hello`, "0.1.0", { name: "hello", version: "0.1.0", apiVersion: "v2" });
    await signedInAsAdmin(page);
    await page.goto(`/projects/${project}/repositories`);
    await page.getByRole("link", { name: `${project}/charts/hello` }).click();
    const row = page.getByRole("row").filter({ hasText: "0.1.0" });
    await row.getByRole("cell", { name: "CHART", exact: true }).waitFor();
    await row.getByRole("link").first().click();
    await page.getByRole("heading", { name: "README" }).waitFor();
    await page.getByText("Deploys the hello app.").waitFor();
    await page.getByRole("heading", { name: "Values" }).waitFor();
    await page.getByText("replicaCount: 2").waitFor();
    await look(page, "chart");
  }));

test("tag policies: an immutable tag cannot be deleted, and a retention dry run deletes nothing", () =>
  journey({}, async (page) => {
    await signedInAsAdmin(page);
    await page.goto(`/projects/${project}/policy`);
    const immutable = page.getByRole("form", { name: "New immutability rule" });
    await immutable.getByLabel("Repository pattern").fill("app");
    await immutable.getByLabel("Tag pattern").fill("1.*");
    await immutable.getByRole("button", { name: "Add immutability rule" }).click();
    await page.getByText("immutable: repositories matching app, tags matching 1.*").waitFor();

    const retention = page.getByRole("form", { name: "New retention rule" });
    await retention.getByLabel("Rule").selectOption("latestPushedK");
    await retention.getByLabel("Number (#)").fill("1");
    await retention.getByRole("button", { name: "Add retention rule" }).click();
    await page.getByText("retain the most recently pushed 1 artifacts: repositories matching **, tags matching ** (untagged too)").waitFor();
    const before = (await adminApi("GET", `/projects/${project}/repositories/app/artifacts`)).length;
    await page.getByRole("button", { name: "Dry run" }).click();
    const runs = page.getByRole("table", { name: "Retention runs" });
    await runs.getByRole("cell", { name: "Success", exact: true }).waitFor({ timeout: 30_000 });
    await runs.getByRole("cell", { name: "yes", exact: true }).waitFor();
    await look(page, "policy");
    assert.equal((await adminApi("GET", `/projects/${project}/repositories/app/artifacts`)).length, before, "a dry run deletes nothing");
    const policyId = (await adminApi("GET", `/projects/${project}`)).metadata.retention_id;
    assert.equal((await adminApi("GET", `/retentions/${policyId}`)).rules[0].params.latestPushedK, 1);

    await page.goto(`/projects/${project}/repositories/app`);
    await page.getByRole("button", { name: "Delete tag 1.0" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete tag 1.0?" });
    await dialog.getByRole("button", { name: "Delete" }).click();
    await dialog.getByRole("alert").filter({ hasText: /immutable/ }).waitFor();
    await look(page, "immutable-tag-refused");
    await dialog.getByRole("button", { name: "Cancel" }).click();

    // Leave the project as the later journeys expect it: no rules.
    await page.goto(`/projects/${project}/policy`);
    await page.getByRole("button", { name: /^Delete the immutability rule/ }).click();
    await page.getByText("No immutability rules.").waitFor();
    await page.getByRole("button", { name: /^Delete the retention rule/ }).click();
    await page.getByText("No retention rules.").waitFor();
  }));

test("the admin's pages: audit log, scanning, jobs, settings, system robots", () =>
  journey({}, async (page) => {
    await signedInAsAdmin(page);
    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("cell", { name: `${project}/app:multi` }).first().waitFor();
    await look(page, "admin-audit-log");
    await page.getByLabel("Operation").selectOption("delete");
    await page.getByRole("cell", { name: "create", exact: true }).first().waitFor({ state: "detached" });
    assert.ok((await page.getByRole("cell", { name: "delete", exact: true }).count()) > 0, "the tag's deletion is listed");

    await nav.getByRole("link", { name: "Scanning" }).click();
    await page.getByRole("heading", { name: "Vulnerability database" }).waitFor();
    await page.getByRole("cell", { name: /debian/ }).first().waitFor();
    await look(page, "admin-scanning");
    await nav.getByRole("link", { name: "Job queues" }).click();
    await page.getByRole("heading", { name: "Job queues" }).waitFor();
    await look(page, "admin-jobs");
    await nav.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("heading", { name: "Garbage collection" }).waitFor();
    await look(page, "admin-settings");
    await nav.getByRole("link", { name: "Robot accounts" }).click();
    await page.getByRole("heading", { name: "System robot accounts" }).waitFor();
    await look(page, "admin-robots");

    await page.goto(`/projects/${project}/logs`);
    await page.getByRole("cell", { name: `${project}/debian:bookworm` }).first().waitFor();
    await look(page, "project-logs");
    await page.goto(`/projects/${project}/summary`);
    await page.getByText("Storage used").waitFor();
    await look(page, "project-summary");
  }));

test("the admin adds a registry, replicates the project into it and reads the task's log", () =>
  journey({}, async (page) => {
    await signedInAsAdmin(page);
    const nav = page.getByRole("navigation", { name: "Main" });
    // The registry is this Berth itself, under another namespace: a real replication, no peer needed.
    await nav.getByRole("link", { name: "Registries" }).click();
    await page.getByRole("heading", { name: "Registries" }).waitFor();
    await page.getByRole("button", { name: "New registry" }).click();
    const dialog = page.getByRole("dialog", { name: "New registry" });
    await dialog.getByLabel("Provider").selectOption("harbor");
    await dialog.getByLabel("Name", { exact: true }).fill("self");
    await dialog.getByLabel("Endpoint URL").fill(baseUrl);
    await dialog.getByLabel("Access ID").fill(admin.username);
    await dialog.getByLabel("Access secret").fill("wrong-secret");
    await dialog.getByRole("button", { name: "Test connection" }).click();
    await dialog.getByRole("status").getByText(/unhealthy/).waitFor();
    await dialog.getByLabel("Access secret").fill(admin.password);
    await dialog.getByRole("button", { name: "Test connection" }).click();
    await dialog.getByRole("status").getByText("The registry answered.").waitFor();
    await look(page, "registry-new");
    await dialog.getByRole("button", { name: "Create" }).click();
    await page.getByRole("cell", { name: "self", exact: true }).waitFor();
    await page.getByRole("cell", { name: "Healthy" }).waitFor();
    const [stored] = await adminApi("GET", "/registries?name=self");
    assert.equal(stored.credential.access_secret, "*****", "the secret is never shown again");
    await look(page, "registries");

    await nav.getByRole("link", { name: "Replications" }).click();
    await page.getByRole("button", { name: "New replication rule" }).click();
    const rule = page.getByRole("dialog", { name: "New replication rule" });
    await rule.getByLabel("Name", { exact: true }).fill("backup");
    await rule.getByRole("combobox", { name: "Registry", exact: true }).selectOption({ label: `self (${baseUrl})` });
    await rule.getByLabel("Repositories (a pattern, empty: all)").fill(`${project}/app`);
    await rule.getByLabel("Destination namespace (empty: the same names)").fill("backup");
    await look(page, "replication-new");
    await rule.getByRole("button", { name: "Create" }).click();
    await page.getByRole("cell", { name: "backup", exact: true }).first().waitFor();
    await page.getByRole("button", { name: "Replicate backup" }).click();
    await page.getByRole("heading", { name: "Executions of backup" }).waitFor();
    await eventually(async () => {
      await page.getByRole("button", { name: "Refresh" }).click();
      return (await page.getByRole("cell", { name: "Succeed", exact: true }).count()) > 0;
    }, "the execution succeeds");
    await page.getByRole("button", { name: /^Tasks of execution/ }).first().click();
    await page.getByRole("cell", { name: /backup\/app/ }).waitFor();
    await page.getByRole("button", { name: `Log of ${project}/app`, exact: false }).first().click();
    await page.getByRole("dialog", { name: /^Log of/ }).getByText(/done: \d+ manifests sent/).waitFor();
    await look(page, "replication-log");
    const source = await adminApi("GET", `/projects/${project}/repositories/app/artifacts?page_size=100`);
    const copied = await adminApi("GET", "/projects/backup/repositories/app/artifacts?page_size=100");
    // Replication copies tagged artifacts (as Harbor's): the one whose tag was deleted stays home.
    const tagged = source.filter((a) => (a.tags ?? []).length > 0);
    assert.ok(tagged.length > 0 && tagged.length < source.length);
    assert.deepEqual(copied.map((a) => a.digest).sort(), tagged.map((a) => a.digest).sort(), "the same artifacts, digests unchanged");
  }));

test("a webhook is added to the project, switched off and on", () =>
  journey({}, async (page) => {
    await signedInAsAdmin(page);
    await page.goto(`/projects/${project}/webhooks`);
    await page.getByRole("button", { name: "New webhook" }).click();
    const dialog = page.getByRole("dialog", { name: "New webhook" });
    await dialog.getByLabel("Name", { exact: true }).fill("ci");
    await dialog.getByLabel("Endpoint URL").fill("http://127.0.0.1:9/hook");
    await dialog.getByLabel("Payload format").selectOption("CloudEvents");
    await dialog.getByLabel("SCANNING_FAILED").check();
    await look(page, "webhook-new");
    await dialog.getByRole("button", { name: "Create" }).click();
    await page.getByRole("cell", { name: "ci", exact: true }).waitFor();
    await page.getByRole("cell", { name: "PUSH_ARTIFACT, SCANNING_FAILED" }).waitFor();
    await page.getByRole("button", { name: "Disable webhook ci" }).click();
    await page.getByRole("button", { name: "Enable webhook ci" }).waitFor();
    const [policy] = await adminApi("GET", `/projects/${project}/webhook/policies`);
    assert.equal(policy.enabled, false);
    assert.equal(policy.targets[0].payload_format, "CloudEvents");
    await look(page, "project-webhooks");
  }));

test("projects are deleted with a confirmation, and one that holds repositories is refused in words", () =>
  journey({}, async (page) => {
    await adminApi("POST", "/projects", { project_name: "scratch", metadata: { public: "false" } });
    await signedInAsAdmin(page);
    await page.getByRole("button", { name: `Delete project ${project}` }).click();
    const refuse = page.getByRole("dialog", { name: `Delete project ${project}?` });
    await refuse.getByRole("button", { name: "Delete" }).click();
    await refuse.getByRole("alert").waitFor();
    await look(page, "project-delete-refused");
    await refuse.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("button", { name: "Delete project scratch" }).click();
    await page.getByRole("dialog", { name: "Delete project scratch?" }).getByRole("button", { name: "Delete" }).click();
    await page.getByRole("cell", { name: "scratch", exact: true }).waitFor({ state: "detached" });
    await assert.rejects(adminApi("GET", "/projects/scratch"), /404/);
    await adminApi("GET", `/projects/${project}`);
  }));

test("the admin logs out and the portal asks for a sign-in again", () =>
  journey({}, async (page) => {
    await signedInAsAdmin(page);
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await page.goto(`/projects/${project}`);
    await page.waitForURL(/\/login\?next=/);
    const status = await page.evaluate(async () => (await fetch("/api/v2.0/users/current")).status);
    assert.equal(status, 401, "the session is gone on the server too");
  }));

test("a developer sees her project but no administration, and changes her password", () =>
  journey({}, async (page) => {
    await signIn(page, developer.username, developer.password);
    await page.getByRole("cell", { name: project, exact: true }).waitFor();
    const nav = page.getByRole("navigation", { name: "Main" });
    assert.equal(await nav.getByRole("link", { name: "Users" }).count(), 0);
    assert.equal(await nav.getByRole("link", { name: "Audit log" }).count(), 0);
    await look(page, "developer-projects");
    await page.goto("/admin/users");
    await page.getByRole("alert").getByText("Only administrators may open the administration pages.").waitFor();

    await page.getByRole("link", { name: developer.username }).click();
    await page.getByLabel("Current password").fill("wrong-Passw0rd");
    await page.getByLabel("New password", { exact: true }).fill("Dana-N3w-Password");
    await page.getByLabel("New password again").fill("Dana-N3w-Password");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByRole("alert").waitFor();
    await look(page, "password-wrong-current");
    await page.getByLabel("Current password").fill(developer.password);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByRole("status").filter({ hasText: "Your password was changed." }).waitFor();
    developer.password = "Dana-N3w-Password";
    await page.getByRole("button", { name: "Log out" }).click();
    await signIn(page, developer.username, developer.password);
    await page.getByRole("cell", { name: project, exact: true }).waitFor();
  }));

test("an expired session goes to the sign-in and then back to the same page", () =>
  journey({}, async (page) => {
    await signedInAsAdmin(page);
    await page.goto(`/projects/${project}/members`);
    await page.getByRole("cell", { name: developer.username, exact: true }).waitFor();
    await page.context().clearCookies(); // what the server's expiry does to the browser
    await page.getByRole("link", { name: "Repositories" }).click();
    await page.waitForURL(/\/login\?next=%2Fprojects%2Fteam-a%2Frepositories$/).catch(() => assert.fail(`went to ${page.url()}`));
    await look(page, "session-expired");
    await page.getByLabel("User name").fill(admin.username);
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/projects\/team-a\/repositories$/).catch(() => assert.fail(`went to ${page.url()}`));
    await page.getByRole("link", { name: `${project}/app` }).waitFor();
  }));

test("a narrow screen in the dark theme is readable without sideways scrolling", () =>
  journey({ width: 390, height: 844, colorScheme: "dark" }, async (page) => {
    await signedInAsAdmin(page);
    for (const path of ["/projects", `/projects/${project}/repositories`, `/projects/${project}/repositories/app`]) {
      await page.goto(path);
      await page.locator("main h1").waitFor();
      await page.waitForLoadState("networkidle");
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path} is ${overflow}px wider than the screen`);
      const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      assert.equal(background, "rgb(21, 24, 28)", "the dark theme follows the system setting");
      await look(page, `narrow-dark${path.replaceAll("/", "-")}`);
    }
  }));

test("the keyboard alone reaches and works the project list", () =>
  journey({}, async (page) => {
    await signedInAsAdmin(page);
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to the content");
    const focusedOutline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(focusedOutline, "none", "focus is visible");
    // Tab on to the project's link, then Enter opens it.
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press("Tab");
      if ((await page.evaluate(() => document.activeElement?.textContent)) === project) break;
    }
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: project }).waitFor();
  }));
