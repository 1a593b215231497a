// One click copies a text (a pull command, a robot's secret) and says so.
import { useState } from "preact/hooks";
import { copyText } from "../lib/clipboard";

export function CopyButton(props: { text: string; label: string }) {
  const [done, setDone] = useState("");
  return (
    <button type="button" class="secondary small" aria-label={props.label}
      onClick={async () => setDone((await copyText(props.text)) ? "Copied" : "Copy failed: select the text")}>
      {done || "Copy"}
    </button>
  );
}
