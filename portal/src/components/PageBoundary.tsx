// Keeps a failing page from blanking the portal: a page that throws while rendering is replaced
// by what went wrong, in words, and the rest of the portal (header, navigation) stays usable.
import type { ComponentChildren } from "preact";
import { useErrorBoundary } from "preact/hooks";

export function PageBoundary(props: { children: ComponentChildren }) {
  const [error, reset] = useErrorBoundary();
  if (error) {
    return (
      <div role="alert">
        <p>This page could not be shown: {(error as Error).message ?? String(error)}</p>
        <button class="secondary" onClick={reset}>Try again</button>
      </div>
    );
  }
  return <>{props.children}</>;
}
