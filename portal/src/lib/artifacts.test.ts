import { describe, expect, it } from "vitest";
import type { Artifact, Vulnerability } from "../api/types";
import { platforms, pullCommand, REPORT_TYPE, repositoryPath, selectVulnerabilities, severitySegments } from "./artifacts";

const v = (id: string, pkg: string, severity: string, score?: number, fix = ""): Vulnerability => ({
  id, package: pkg, version: "1.0", fix_version: fix, severity, preferred_cvss: score === undefined ? {} : { score_v3: score },
});

describe("artifacts", () => {
  it("names the platforms of an index in its order, and an image's own", () => {
    const index = { id: 1, digest: "sha256:a", references: [
      { child_digest: "sha256:b", platform: { os: "linux", architecture: "amd64" } },
      { child_digest: "sha256:c", platform: { os: "linux", architecture: "arm64", variant: "v8" } },
    ] } as Artifact;
    expect(platforms(index)).toEqual(["linux/amd64", "linux/arm64/v8"]);
    expect(platforms({ id: 2, digest: "sha256:d", extra_attrs: { os: "linux", architecture: "s390x" } } as Artifact)).toEqual(["linux/s390x"]);
    expect(platforms({ id: 3, digest: "sha256:e" } as Artifact)).toEqual([]);
  });

  it("splits a scan summary into severities, most severe first", () => {
    const segments = severitySegments({ scan_status: "Success", summary: { total: 4, summary: { Low: 3, Critical: 1 } } });
    expect(segments).toEqual([
      { severity: "Critical", count: 1, percent: 25 },
      { severity: "Low", count: 3, percent: 75 },
    ]);
    expect(severitySegments({ scan_status: "Success", summary: { total: 0, summary: {} } })).toEqual([]);
    expect(severitySegments(undefined)).toEqual([]);
  });

  it("pulls by digest with @ and by tag with :", () => {
    expect(pullCommand("reg:5000", "team/app", "sha256:abc")).toBe("podman pull reg:5000/team/app@sha256:abc");
    expect(pullCommand("reg:5000", "team/app", "1.0")).toBe("podman pull reg:5000/team/app:1.0");
  });

  it("encodes a nested repository name twice, as Harbor's paths want", () => {
    expect(repositoryPath("team", "team/tools/app")).toBe("/api/v2.0/projects/team/repositories/tools%252Fapp");
    expect(repositoryPath("team", "app")).toBe("/api/v2.0/projects/team/repositories/app");
  });

  it("filters findings by text and severity and sorts them", () => {
    const all = [v("CVE-2-b", "zlib", "Low", 3.1), v("CVE-1-a", "apt", "High", 7.5, "2.0"), v("CVE-3-c", "apt", "Critical")];
    expect(selectVulnerabilities(all, "", "", "severity").map((x) => x.id)).toEqual(["CVE-3-c", "CVE-1-a", "CVE-2-b"]);
    expect(selectVulnerabilities(all, "APT", "", "id").map((x) => x.id)).toEqual(["CVE-1-a", "CVE-3-c"]);
    expect(selectVulnerabilities(all, "", "High", "package").map((x) => x.id)).toEqual(["CVE-1-a", "CVE-3-c"]);
    expect(selectVulnerabilities(all, "", "", "score").map((x) => x.id)).toEqual(["CVE-1-a", "CVE-2-b", "CVE-3-c"]);
    expect(selectVulnerabilities(all, "2.0", "", "id").map((x) => x.id)).toEqual(["CVE-1-a"]);
  });

  it("knows the report type Harbor keys overviews by", () => {
    expect(REPORT_TYPE).toBe("application/vnd.security.vulnerability.report; version=1.1");
  });
});
