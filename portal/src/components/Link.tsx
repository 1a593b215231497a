// An in-portal link: a real <a href> (open in a new tab works) that moves without a reload.
import type { ComponentChildren } from "preact";
import { navigate } from "../router";

export function Link(props: { href: string; children: ComponentChildren; class?: string; current?: boolean }) {
  return (
    <a href={props.href} class={props.class} aria-current={props.current ? "page" : undefined}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(props.href);
      }}>
      {props.children}
    </a>
  );
}
