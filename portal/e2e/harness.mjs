// What the browser journeys share: Debian's chromium through playwright-core, a page that records
// script errors and CSP refusals, a screenshot and an axe-core accessibility check of every page a
// journey reaches, the registry's API as the admin (to arrange and to verify), and the clients
// (skopeo) a user would run, and a Helm chart pushed as helm pushes it. Everything comes from the environment that tests/browser/journeys.sh
// and tests/clients/with_registry.sh set.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const run = promisify(execFile);

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the journeys through tests/browser/journeys.sh`);
  return value;
}

export const registry = required("REGISTRY");
export const baseUrl = `http://${registry}`;
export const admin = { username: required("REGISTRY_USER"), password: required("REGISTRY_PASSWORD") };
export const layout = required("LAYOUT");
const artifacts = required("BROWSER_ARTIFACTS");
mkdirSync(artifacts, { recursive: true });

// Chromium headless with nothing in the background that would reach out to the network.
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-default-apps",
      "--disable-domain-reliability",
      "--disable-sync",
      "--metrics-recording-only",
      "--no-first-run",
      "--no-pings",
      "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    ],
  });
}

// A fresh context (no cookies) and page. Its `problems` collects uncaught script errors and
// Content-Security-Policy refusals; a journey ends by asserting there are none.
export async function openPage(browser, options = {}) {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    colorScheme: options.colorScheme ?? "light",
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.problems = [];
  page.on("pageerror", (error) => page.problems.push(`script error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy|Refused to/i.test(message.text()))
      page.problems.push(`CSP: ${message.text()}`);
  });
  return page;
}

let shots = 0;
const checked = [];

// Saves a screenshot named after the step, then runs axe-core on the page as it is and throws on
// any violation of serious or critical impact. axe is evaluated through the DevTools protocol,
// so the portal's CSP (no inline script) stays in force for the portal's own code.
export async function look(page, name) {
  shots += 1;
  const file = join(artifacts, `${String(shots).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  });
  checked.push(name);
  if (violations.length) throw new Error(`accessibility of "${name}" (${file}):\n  ${violations.join("\n  ")}`);
}

export function pagesChecked() {
  return [...checked];
}

// Resolves once check() holds (asked every 100 ms, for up to 10 s); else fails saying what.
export async function eventually(check, what) {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not within 10 s: ${what}`);
}

export async function signIn(page, username, password) {
  await page.goto("/login");
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

// The management API as the admin (basic auth): the parsed JSON body, or throws with the status.
export async function adminApi(method, path, body) {
  const response = await fetch(`${baseUrl}/api/v2.0${path}`, {
    method,
    headers: {
      Authorization: `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString("base64")}`,
      "Content-Type": "application/json",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

// skopeo as a user runs it: copies an image of the OCI layout to the registry, or pulls one.
export async function skopeoPush(tag, destination, credentials) {
  const auth = credentials ? ["--dest-creds", `${credentials.username}:${credentials.password}`] : [];
  await run("skopeo", ["copy", "--quiet", "--all", "--dest-tls-verify=false", ...auth, `oci:${layout}:${tag}`,
    `docker://${registry}/${destination}`]);
}

// Pushes a Helm chart package as `helm push` does: the chart's config and its .tgz as blobs, then
// an OCI manifest, through the distribution API as the admin.
export async function pushChart(tgzPath, repository, tag, chart) {
  const auth = `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString("base64")}`;
  const blob = async (bytes, mediaType) => {
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    const response = await fetch(`${baseUrl}/v2/${repository}/blobs/uploads/?digest=${digest}`, {
      method: "POST", headers: { Authorization: auth, "Content-Type": "application/octet-stream" }, body: bytes,
    });
    if (response.status !== 201) throw new Error(`blob upload: ${response.status} ${await response.text()}`);
    return { mediaType, digest, size: bytes.length };
  };
  const config = await blob(Buffer.from(JSON.stringify(chart)), "application/vnd.cncf.helm.config.v1+json");
  const layer = await blob(readFileSync(tgzPath), "application/vnd.cncf.helm.chart.content.v1.tar+gzip");
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config, layers: [layer] });
  const response = await fetch(`${baseUrl}/v2/${repository}/manifests/${tag}`, {
    method: "PUT", headers: { Authorization: auth, "Content-Type": "application/vnd.oci.image.manifest.v1+json" }, body: manifest,
  });
  if (response.status !== 201) throw new Error(`manifest: ${response.status} ${await response.text()}`);
}

// Pulls an image into a scratch layout; resolves with skopeo's exit status and what it printed.
export async function skopeoPull(source, scratch) {
  try {
    await run("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `docker://${registry}/${source}`, `oci:${scratch}:pulled`]);
    return { ok: true, output: "" };
  } catch (error) {
    return { ok: false, output: `${error.stdout ?? ""}${error.stderr ?? ""}` };
  }
}
