// The API client is written once against the OpenAPI document Berth serves: every /api/v2.0 path
// the portal's code names (its ${...} parts taken as parameters) must be a path of that document.
/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import swaggerText from "../../../src/api/rest/swagger.json?raw";

const swagger = JSON.parse(swaggerText) as { paths: Record<string, unknown> };
// Every source file of the portal, as text (Vite reads them; tests left out).
const files = import.meta.glob<string>(["../**/*.ts", "../**/*.tsx", "!../**/*.test.ts"], {
  query: "?raw",
  import: "default",
  eager: true,
});

// "/api/v2.0/projects/${encodeURIComponent(name)}/members?x" -> ["projects", "*", "members"]
function segments(path: string): string[] {
  return path.replace(/^\/api\/v2\.0/, "").split(/[?#]/)[0].split("/").filter(Boolean).map((s) => (s.includes("${") || s.startsWith("{") ? "*" : s));
}

const documented = Object.keys(swagger.paths).map(segments);

function isDocumented(path: string): boolean {
  const want = segments(path);
  return documented.some((have) => have.length === want.length && have.every((s, i) => s === "*" || want[i] === "*" || s === want[i]));
}

describe("the portal's API paths", () => {
  const used = new Set<string>();
  for (const text of Object.values(files)) {
    // The path inside a string or template literal, up to its end or its query.
    for (const m of text.matchAll(/["`](\/api\/v2\.0\/(?:[^"`?$]|\$\{[^}]*\})*)/g)) used.add(m[1]);
  }

  it("are found in the code", () => {
    expect(used.size).toBeGreaterThan(20);
  });

  it("are all in Berth's OpenAPI document", () => {
    expect([...used].filter((p) => !isDocumented(p))).toEqual([]);
  });
});
