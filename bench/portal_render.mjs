// Times the portal in Debian's chromium against a running berth (bench/portal.sh starts it and
// fills it). The clock runs in the page: a full load is timed from the start of the navigation,
// a step inside the portal from the click, until the DOM shows the rows the page is for. Each is
// done ROUNDS times; one JSON line per case gives the median and the slowest, in milliseconds.
//   node bench/portal_render.mjs ADDR PASSWORD PROJECT REPOSITORY ROUNDS
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const portal = fileURLToPath(new URL("../portal/package.json", import.meta.url));
const { chromium } = createRequire(portal)("playwright-core");
const [addr, password, project, repository, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 7);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
const context = await browser.newContext({ baseURL: `http://${addr}`, viewport: { width: 1280, height: 800 } });
// In every document: __when(test) resolves with the page's clock once test() holds; __clicked is
// the clock of the last click.
await context.addInitScript(() => {
  window.__when = (test) =>
    new Promise((resolve) => {
      const observer = new MutationObserver(() => check());
      const check = () => {
        if (!test()) return;
        observer.disconnect();
        resolve(performance.now());
      };
      observer.observe(document, { subtree: true, childList: true, characterData: true });
      check();
    });
  document.addEventListener("click", () => (window.__clicked = performance.now()), true);
});
const page = await context.newPage();
await page.goto("/login");
await page.getByLabel("User name").fill("admin");
await page.getByLabel("Password").fill(password);
await page.getByRole("button", { name: "Sign in" }).click();
await page.getByRole("heading", { name: "Projects" }).waitFor();

// A full load of an address (HTML, script, API calls, render), with the cache of a returning user.
async function load(path) {
  await page.goto(path, { waitUntil: "commit" });
  return page.evaluate(() => window.__when(() => document.querySelector("main tbody tr") !== null));
}

// One step of the server's paging: "Next" on a list sorted by last change, until new rows show.
async function nextPage() {
  await page.goto(`/projects/${project}/repositories`);
  await page.locator("main tbody tr").first().waitFor();
  await page.getByRole("button", { name: "Last modified" }).click();
  await page.getByRole("button", { name: "Last modified" }).click();
  await page.waitForLoadState("networkidle"); // the sorted first page is in
  // The pager's range moves at the click; the rows only once the server answered.
  const moved = page.evaluate(() => {
    const first = document.querySelector("main tbody tr")?.textContent;
    return window.__when(() => document.querySelector("main tbody tr")?.textContent !== first);
  });
  await page.getByRole("button", { name: "Next" }).click();
  const done = await moved;
  return done - (await page.evaluate(() => window.__clicked));
}

const cases = [
  ["projects list", () => load("/projects")],
  ["a project's first page (its repositories)", () => load(`/projects/${project}/repositories`)],
  ["next page of its repositories by last change", nextPage],
  ["a repository's artifacts", () => load(`/projects/${project}/repositories/${repository}`)],
];
for (const [name, measure] of cases) {
  const times = [];
  for (let i = 0; i < rounds; i++) times.push(await measure());
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ case: name, median_ms: Math.round(times[Math.floor(times.length / 2)]), max_ms: Math.round(times[times.length - 1]) }));
}
await browser.close();
