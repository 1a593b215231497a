// Running a change a page offers (a role, a pause, an admin flag): its error in words, and the
// page's listing reloaded once it worked.
import { useState } from "preact/hooks";

export function useAction(reload: () => void): { error: string; act: (change: () => Promise<unknown>) => Promise<boolean> } {
  const [error, setError] = useState("");
  async function act(change: () => Promise<unknown>): Promise<boolean> {
    setError("");
    try {
      await change();
      reload();
      return true;
    } catch (e) {
      setError((e as Error).message);
      return false;
    }
  }
  return { error, act };
}
