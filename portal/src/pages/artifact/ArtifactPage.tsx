// One artifact: its facts and pull commands, the images of an index, its build history, the
// vulnerability table (filter, sort, scan now), SBOM downloads, and a Helm chart's README and values.
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import type { Artifact, BuildStep, VulnerabilityReport } from "../../api/types";
import { CopyButton } from "../../components/CopyButton";
import { Link } from "../../components/Link";
import { SeverityBar } from "../../components/SeverityBar";
import { overviewOf, platforms, pullCommand, REPORT_TYPE, repositoryPath, selectVulnerabilities, SEVERITIES, type VulnerabilitySort } from "../../lib/artifacts";
import { humanSize } from "../../lib/listing";
import { useLoad } from "../../lib/useLoad";
import { isSigned } from "../repository/RepositoryPage";

type WithLinks = Artifact & { addition_links?: Record<string, { href: string }>; sbom_overview?: { sbom_digest?: string; scan_status?: string } };

export function ArtifactPage(props: { project: string; repository: string; reference: string }) {
  const path = `${repositoryPath(props.project, props.repository)}/artifacts/${encodeURIComponent(props.reference)}`;
  const artifact = useLoad(
    () => api.json<WithLinks>("GET", `${path}?with_tag=true&with_scan_overview=true&with_sbom_overview=true&with_accessory=true&with_label=true`),
    [path],
  );
  const [message, setMessage] = useState("");
  const a = artifact.data;
  const full = `${props.project}/${props.repository}`;
  const repoHref = `/projects/${encodeURIComponent(props.project)}/repositories/${encodeURIComponent(props.repository)}`;
  const host = window.location.host;

  async function scan(type: "vulnerability" | "sbom") {
    setMessage("");
    try {
      await api.request("POST", `${path}/scan`, { scan_type: type });
      setMessage(type === "sbom" ? "SBOM generation started." : "Scan started.");
      for (let i = 0; i < 60; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const now = await api.json<WithLinks>("GET", `${path}?with_scan_overview=true&with_sbom_overview=true`);
        const status = overviewOf(now)?.scan_status;
        if (type === "vulnerability" && status && status !== "Pending" && status !== "Running") break;
        if (type === "sbom" && now.sbom_overview?.sbom_digest) break;
      }
      artifact.reload();
      setMessage(type === "sbom" ? "SBOM ready." : "Scan finished.");
    } catch (e) {
      setMessage((e as Error).message);
    }
  }

  if (artifact.error) return <p class="error" role="alert">{artifact.error}</p>;
  if (!a) return <p class="muted">Loading…</p>;
  const links = a.addition_links ?? {};
  const overview = overviewOf(a);
  return (
    <section>
      <p class="crumbs">
        <Link href="/projects">Projects</Link> / <Link href={`/projects/${encodeURIComponent(props.project)}/repositories`}>{props.project}</Link> /{" "}
        <Link href={repoHref}>{props.repository}</Link> /
      </p>
      <header class="page-head"><h1 class="mono">{a.digest}</h1></header>
      <dl class="facts">
        <dt>Tags</dt><dd>{(a.tags ?? []).map((t) => t.name).join(", ") || "none"}</dd>
        <dt>Type</dt><dd>{a.type ?? ""} <span class="muted">{a.manifest_media_type ?? a.media_type}</span></dd>
        <dt>Size</dt><dd>{humanSize(a.size ?? 0)}</dd>
        <dt>Platforms</dt><dd>{platforms(a).join(", ") || "none"}</dd>
        <dt>Signed</dt><dd>{isSigned(a) ? "Signed" : "No"}</dd>
        <dt>Pushed</dt><dd>{a.push_time ? new Date(a.push_time).toLocaleString() : ""}</dd>
        <dt>Vulnerabilities</dt><dd><SeverityBar overview={overview} /></dd>
        <dt>Pull</dt>
        <dd class="stack">
          <span><code>{pullCommand(host, full, a.digest)}</code> <CopyButton text={pullCommand(host, full, a.digest)} label="Copy the pull command by digest" /></span>
          {(a.tags ?? []).map((t) => (
            <span key={t.name}><code>{pullCommand(host, full, t.name)}</code> <CopyButton text={pullCommand(host, full, t.name)} label={`Copy the pull command of tag ${t.name}`} /></span>
          ))}
        </dd>
      </dl>
      <div class="toolbar">
        <button onClick={() => void scan("vulnerability")}>Scan now</button>
        <button class="secondary" onClick={() => void scan("sbom")}>Generate SBOM</button>
        {a.sbom_overview?.sbom_digest && <a href={`${path}/additions/sbom?format=cyclonedx`} download={`${props.repository.replace(/\//g, "_")}.cdx.json`}>Download SBOM (CycloneDX)</a>}
        {a.sbom_overview?.sbom_digest && <a href={`${path}/additions/sbom?format=spdx`} download={`${props.repository.replace(/\//g, "_")}.spdx.json`}>Download SBOM (SPDX)</a>}
      </div>
      {message && <p role="status">{message}</p>}
      {a.references && a.references.length > 0 && (
        <>
          <h2>Images</h2>
          <div class="table-wrap">
            <table>
              <thead><tr><th>Digest</th><th>Platform</th></tr></thead>
              <tbody>
                {a.references.map((r) => (
                  <tr key={r.child_digest}>
                    <td><Link class="mono" href={`${repoHref}/artifacts/${r.child_digest}`}>{r.child_digest}</Link></td>
                    <td>{[r.platform?.os, r.platform?.architecture, r.platform?.variant].filter(Boolean).join("/")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {links.build_history && <BuildHistory href={links.build_history.href} />}
      {links["readme.md"] && <TextAddition title="README" href={links["readme.md"].href} />}
      {links["values.yaml"] && <TextAddition title="Values" href={links["values.yaml"].href} />}
      {overview?.scan_status === "Success" && <Vulnerabilities path={`${path}/additions/vulnerabilities`} generation={overview.end_time ?? ""} />}
    </section>
  );
}

function BuildHistory(props: { href: string }) {
  const history = useLoad(() => api.json<BuildStep[]>("GET", props.href), [props.href]);
  return (
    <>
      <h2>Build history</h2>
      {history.error && <p class="error" role="alert">{history.error}</p>}
      <div class="table-wrap">
        <table>
          <thead><tr><th>Created</th><th>Command</th></tr></thead>
          <tbody>
            {(history.data ?? []).map((step, i) => (
              <tr key={i}>
                <td>{step.created ? new Date(step.created).toLocaleString() : ""}</td>
                <td class="mono">{step.created_by ?? ""}{step.empty_layer ? " (no layer)" : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function TextAddition(props: { title: string; href: string }) {
  const text = useLoad(async () => (await api.request("GET", props.href)).text(), [props.href]);
  return (
    <>
      <h2>{props.title}</h2>
      {text.error ? <p class="error" role="alert">{text.error}</p> : <pre class="readme">{text.data ?? ""}</pre>}
    </>
  );
}

function Vulnerabilities(props: { path: string; generation: string }) {
  const report = useLoad(() => api.json<Record<string, VulnerabilityReport>>("GET", props.path), [props.path, props.generation]);
  const [text, setText] = useState("");
  const [minimum, setMinimum] = useState("");
  const [sort, setSort] = useState<VulnerabilitySort>("severity");
  const all = report.data?.[REPORT_TYPE]?.vulnerabilities ?? [];
  const shown = selectVulnerabilities(all, text, minimum, sort);
  return (
    <>
      <h2>Vulnerabilities</h2>
      {report.error && <p class="error" role="alert">{report.error}</p>}
      <div class="toolbar">
        <label>Filter<input type="search" placeholder="CVE, package or version" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} /></label>
        <label>
          At least
          <select value={minimum} onChange={(e) => setMinimum((e.target as HTMLSelectElement).value)}>
            <option value="">any severity</option>
            {SEVERITIES.filter((s) => s !== "Unknown").map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Sort by
          <select value={sort} onChange={(e) => setSort((e.target as HTMLSelectElement).value as VulnerabilitySort)}>
            <option value="severity">severity</option>
            <option value="score">CVSS score</option>
            <option value="id">CVE</option>
            <option value="package">package</option>
          </select>
        </label>
        <span role="status">{shown.length} of {all.length}</span>
      </div>
      <div class="table-wrap">
        <table aria-label="Vulnerabilities">
          <thead>
            <tr><th>Vulnerability</th><th>Severity</th><th>Package</th><th>Installed</th><th>Fixed in</th><th class="num">CVSS</th><th>Description</th></tr>
          </thead>
          <tbody>
            {shown.map((v) => (
              <tr key={`${v.id} ${v.package} ${v.version}`}>
                <td>{v.links?.[0] ? <a href={v.links[0]} rel="noreferrer noopener" target="_blank">{v.id}</a> : v.id}</td>
                <td class={`sevtext-${v.severity}`}>{v.severity}</td>
                <td>{v.package}</td>
                <td class="mono">{v.version}</td>
                <td class="mono">{v.fix_version || "not fixed"}</td>
                <td class="num">{v.preferred_cvss?.score_v3 ?? v.preferred_cvss?.score_v2 ?? ""}</td>
                <td>{v.description ? v.description.slice(0, 160) : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
