// A project's configuration: public or private, and its security policies (block vulnerable or
// unscanned images, scan and SBOM on push, the CVE allowlist). One Save writes them together.
import { useState } from "preact/hooks";
import { api } from "../../api/client";
import type { Project } from "../../api/types";

const LEVELS = [
  ["critical", "Critical"],
  ["high", "High"],
  ["medium", "Medium"],
  ["low", "Low"],
  ["none", "None (any finding)"],
] as const;

interface Allowlist {
  items?: { cve_id: string }[];
  expires_at?: number | null;
}

export function ConfigurationTab(props: { project: Project & { cve_allowlist?: Allowlist }; onSaved: () => void }) {
  const m = (props.project.metadata ?? {}) as Record<string, string | undefined>;
  const [values, setValues] = useState({
    public: m.public === "true",
    prevent_vul: m.prevent_vul === "true",
    severity: m.severity ?? "low",
    prevent_unscanned: m.prevent_unscanned === "true",
    auto_scan: m.auto_scan === "true",
    auto_sbom_generation: m.auto_sbom_generation === "true",
    reuse_sys_cve_allowlist: m.reuse_sys_cve_allowlist !== "false",
  });
  const [cves, setCves] = useState((props.project.cve_allowlist?.items ?? []).map((i) => i.cve_id).join("\n"));
  const [message, setMessage] = useState("");
  const [error, setError] = useState("");

  const flag = (key: keyof typeof values, label: string) => (
    <label class="inline">
      <input type="checkbox" checked={Boolean(values[key])}
        onChange={(e) => setValues({ ...values, [key]: (e.target as HTMLInputElement).checked })} />
      {label}
    </label>
  );

  async function save(event: Event) {
    event.preventDefault();
    setMessage("");
    setError("");
    const ids = cves.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(values)) metadata[key] = typeof value === "boolean" ? String(value) : value;
    try {
      await api.request("PUT", `/api/v2.0/projects/${encodeURIComponent(props.project.name)}`, {
        metadata,
        cve_allowlist: values.reuse_sys_cve_allowlist ? undefined : { items: ids.map((cve_id) => ({ cve_id })) },
      });
      setMessage("Saved.");
      props.onSaved();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <form onSubmit={save} class="stack">
      <fieldset>
        <legend>Access</legend>
        {flag("public", "Public: anyone may pull, without signing in")}
      </fieldset>
      <fieldset>
        <legend>Deployment security</legend>
        {flag("prevent_vul", "Prevent vulnerable images from being pulled")}
        <label>
          Refuse images with vulnerabilities of this severity or worse
          <select value={values.severity} disabled={!values.prevent_vul}
            onChange={(e) => setValues({ ...values, severity: (e.target as HTMLSelectElement).value })}>
            {LEVELS.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
          </select>
        </label>
        {flag("prevent_unscanned", "Prevent images that were never scanned from being pulled")}
      </fieldset>
      <fieldset>
        <legend>On push</legend>
        {flag("auto_scan", "Scan images for vulnerabilities when they are pushed")}
        {flag("auto_sbom_generation", "Generate an SBOM when images are pushed")}
      </fieldset>
      <fieldset>
        <legend>CVE allowlist</legend>
        {flag("reuse_sys_cve_allowlist", "Use the system's CVE allowlist")}
        <label>
          This project's allowed CVEs (one per line)
          <textarea rows={4} value={cves} disabled={values.reuse_sys_cve_allowlist}
            onInput={(e) => setCves((e.target as HTMLTextAreaElement).value)} />
        </label>
      </fieldset>
      {error && <p class="error" role="alert">{error}</p>}
      {message && <p role="status">{message}</p>}
      <div><button type="submit">Save</button></div>
    </form>
  );
}
