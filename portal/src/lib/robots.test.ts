import { describe, expect, it } from "vitest";
import type { Robot } from "../api/types";
import { abilitiesOf, expiryLabel, permissionsFor } from "./robots";

describe("robots", () => {
  it("turns abilities into one project permission without duplicates", () => {
    expect(permissionsFor("team", ["pull", "push"])).toEqual([
      { kind: "project", namespace: "team", access: [{ resource: "repository", action: "pull" }, { resource: "repository", action: "push" }] },
    ]);
    expect(permissionsFor("*", [])[0].access).toEqual([]);
  });

  it("reads back only the abilities granted in full", () => {
    const robot = { id: 1, name: "robot$team+ci", level: "project", disable: false,
      permissions: permissionsFor("team", ["pull", "tag"]).map((p) => ({ ...p, access: p.access.slice(0, 2) })) } as Robot;
    expect(abilitiesOf(robot)).toEqual(["Pull images"]);
  });

  it("says when a robot expires", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    expect(expiryLabel(-1, now)).toBe("never");
    expect(expiryLabel(Date.parse("2025-12-31T00:00:00Z") / 1000, now)).toBe("expired");
    expect(expiryLabel(Date.parse("2026-01-31T00:00:00Z") / 1000, now)).toBe("2026-01-31");
  });
});
