// Harbor's schedule of a system job (scan all, garbage collection): None, Hourly, Daily, Weekly or
// a Custom six-field cron, saved with PUT {"schedule": {"type", "cron"}}; "Run now" posts Manual.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api/client";

interface Schedule {
  schedule?: { type?: string; cron?: string; next_scheduled_time?: string };
}

const TYPES = ["None", "Hourly", "Daily", "Weekly", "Custom"];

export function ScheduleForm(props: { path: string; label: string; runBody?: Record<string, unknown> }) {
  const [type, setType] = useState("None");
  const [cron, setCron] = useState("");
  const [next, setNext] = useState("");
  const [message, setMessage] = useState("");
  const [error, setError] = useState("");

  async function load() {
    try {
      const s = await api.json<Schedule>("GET", props.path);
      setType(s.schedule?.type && TYPES.includes(s.schedule.type) ? s.schedule.type : "None");
      setCron(s.schedule?.cron ?? "");
      setNext(s.schedule?.next_scheduled_time ?? "");
    } catch (e) {
      setError((e as Error).message);
    }
  }
  useEffect(() => void load(), [props.path]);

  async function send(body: Record<string, unknown>, done: string) {
    setMessage("");
    setError("");
    try {
      await api.request("PUT", props.path, body);
      setMessage(done);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <form onSubmit={(e) => { e.preventDefault(); void send({ schedule: { type, cron: type === "Custom" ? cron : "" } }, "Schedule saved."); }}>
      <div class="toolbar">
        <label>
          {props.label}
          <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            {TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </label>
        {type === "Custom" && (
          <label>Cron (seconds first)<input required value={cron} placeholder="0 0 3 * * *" onInput={(e) => setCron((e.target as HTMLInputElement).value)} /></label>
        )}
        <button type="submit">Save schedule</button>
        <button type="button" class="secondary"
          onClick={() => {
            setMessage("");
            setError("");
            api.request("POST", props.path, { ...(props.runBody ?? {}), schedule: { type: "Manual" } })
              .then(() => setMessage("Started."))
              .catch((e: Error) => setError(e.message));
          }}>Run now</button>
      </div>
      {next && <p class="muted">Next run: {new Date(next).toLocaleString()}</p>}
      {error && <p class="error" role="alert">{error}</p>}
      {message && <p role="status">{message}</p>}
    </form>
  );
}
