import { describe, expect, it } from "vitest";
import { auditQuery } from "./audit";

describe("auditQuery", () => {
  it("asks for the newest entries first, unfiltered", () => {
    expect(auditQuery({ username: "", resourceType: "", operation: "", from: "", to: "" }, 2, 20)).toBe("page=2&page_size=20&sort=-op_time");
  });

  it("turns the filters into Harbor's q terms, days included whole", () => {
    const q = new URLSearchParams(auditQuery({ username: "ann", resourceType: "artifact", operation: "delete", from: "2026-01-01", to: "2026-01-31" }, 1, 20)).get("q");
    expect(q).toBe("username=~ann,resource_type=~artifact,operation=delete,op_time=[2026-01-01 00:00:00~2026-01-31 23:59:59]");
    const open = new URLSearchParams(auditQuery({ username: "", resourceType: "", operation: "", from: "2026-01-01", to: "" }, 1, 20)).get("q");
    expect(open).toBe("op_time=[2026-01-01 00:00:00~]");
  });
});
