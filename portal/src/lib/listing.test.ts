import { describe, expect, it } from "vitest";
import { humanSize, listingQuery, nextSort, pageCount, rangeLabel } from "./listing";

describe("listing", () => {
  it("asks the server for one page, searched and sorted", () => {
    expect(listingQuery({ page: 3, pageSize: 15, search: " web ", sort: "-name" })).toBe(
      "page=3&page_size=15&q=name%3D%7Eweb&sort=-name",
    );
    expect(listingQuery({ page: 0, pageSize: 10, search: "", sort: "" })).toBe("page=1&page_size=10");
  });
  it("counts pages and labels the range shown", () => {
    expect(pageCount(0, 15)).toBe(1);
    expect(pageCount(95, 20)).toBe(5);
    expect(rangeLabel(95, 2, 20)).toBe("21-40 of 95");
    expect(rangeLabel(95, 5, 20)).toBe("81-95 of 95");
    expect(rangeLabel(0, 1, 20)).toBe("0 items");
  });
  it("toggles a column's sort", () => {
    expect(nextSort("", "name")).toBe("name");
    expect(nextSort("name", "name")).toBe("-name");
    expect(nextSort("-name", "name")).toBe("name");
    expect(nextSort("name", "creation_time")).toBe("creation_time");
  });
  it("shows sizes in binary units", () => {
    expect(humanSize(512)).toBe("512 B");
    expect(humanSize(1536)).toBe("1.5 KiB");
    expect(humanSize(200 * 1024 ** 3)).toBe("200.0 GiB");
  });
});
