// Robot accounts as the portal offers them: a few named abilities instead of raw (resource, action)
// pairs, turned into Harbor's permissions, and how an expiry reads.
import type { Access, Robot, RobotPermission } from "../api/types";

export interface Ability {
  id: string;
  label: string;
  access: Access[];
}

export const ABILITIES: Ability[] = [
  { id: "pull", label: "Pull images", access: [{ resource: "repository", action: "pull" }] },
  { id: "push", label: "Push images", access: [{ resource: "repository", action: "push" }] },
  { id: "read", label: "List repositories and artifacts", access: [{ resource: "repository", action: "list" }, { resource: "artifact", action: "read" }, { resource: "artifact", action: "list" }] },
  { id: "delete", label: "Delete artifacts", access: [{ resource: "artifact", action: "delete" }] },
  { id: "tag", label: "Add and delete tags", access: [{ resource: "tag", action: "create" }, { resource: "tag", action: "delete" }] },
  { id: "scan", label: "Scan artifacts", access: [{ resource: "scan", action: "create" }] },
];

// Harbor's permissions for the chosen abilities on one project ("*" for every project).
export function permissionsFor(namespace: string, abilities: string[]): RobotPermission[] {
  const access: Access[] = [];
  for (const ability of ABILITIES) {
    if (!abilities.includes(ability.id)) continue;
    for (const a of ability.access)
      if (!access.some((have) => have.resource === a.resource && have.action === a.action)) access.push(a);
  }
  return [{ kind: "project", namespace, access }];
}

// The abilities a robot's permissions grant in full (for showing them back).
export function abilitiesOf(robot: Robot): string[] {
  const granted = (robot.permissions ?? []).flatMap((p) => p.access);
  return ABILITIES.filter((ability) =>
    ability.access.every((a) => granted.some((g) => g.resource === a.resource && g.action === a.action)),
  ).map((ability) => ability.label);
}

// "never", "expired", or the date it expires, from Harbor's expires_at (Unix seconds, -1 for never).
export function expiryLabel(expiresAt: number | undefined, now: Date = new Date()): string {
  if (expiresAt === undefined || expiresAt < 0) return "never";
  const when = new Date(expiresAt * 1000);
  if (when.getTime() <= now.getTime()) return "expired";
  return when.toISOString().slice(0, 10);
}
