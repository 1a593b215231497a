// The shapes of Harbor's /api/v2.0 that the portal reads (the fields it uses).

export interface CurrentUser {
  user_id: number;
  username: string;
  email: string;
  realname: string;
  sysadmin_flag: boolean;
}

export interface ProjectMetadata {
  public?: string;
}

export interface Project {
  project_id: number;
  name: string;
  metadata?: ProjectMetadata;
  repo_count?: number;
  creation_time?: string;
  current_user_role_id?: number;
}

export interface QuotaUsage {
  hard?: { storage?: number };
  used?: { storage?: number };
}

export interface ProjectSummary {
  repo_count?: number;
  quota?: QuotaUsage;
}

export interface Tag {
  id: number;
  name: string;
  push_time?: string;
  pull_time?: string;
  immutable?: boolean;
}

export interface Platform {
  os?: string;
  architecture?: string;
  variant?: string;
}

export interface Reference {
  child_digest: string;
  platform?: Platform;
}

export interface SeveritySummary {
  total?: number;
  fixable?: number;
  summary?: Partial<Record<string, number>>;
}

export interface ScanOverview {
  report_id?: string;
  scan_status?: string;
  severity?: string;
  summary?: SeveritySummary;
  start_time?: string;
  end_time?: string;
}

export interface Label {
  id: number;
  name: string;
  color?: string;
}

export interface Accessory {
  id?: number;
  type: string;
  digest?: string;
}

export interface Artifact {
  id: number;
  digest: string;
  media_type?: string;
  manifest_media_type?: string;
  type?: string;
  size?: number;
  push_time?: string;
  pull_time?: string;
  repository_name?: string;
  tags?: Tag[] | null;
  references?: Reference[] | null;
  extra_attrs?: Record<string, unknown>;
  labels?: Label[] | null;
  accessories?: Accessory[] | null;
  scan_overview?: Record<string, ScanOverview>;
}

export interface Repository {
  id: number;
  name: string;
  project_id?: number;
  artifact_count?: number;
  pull_count?: number;
  creation_time?: string;
  update_time?: string;
  description?: string;
}

export interface Cvss {
  score_v3?: number;
  score_v2?: number;
  vector_v3?: string;
  vector_v2?: string;
}

export interface Vulnerability {
  id: string;
  package: string;
  version: string;
  fix_version?: string;
  severity: string;
  description?: string;
  links?: string[];
  preferred_cvss?: Cvss;
}

export interface VulnerabilityReport {
  generated_at?: string;
  severity?: string;
  scanner?: { name?: string; vendor?: string; version?: string };
  vulnerabilities?: Vulnerability[];
}

export interface BuildStep {
  created?: string;
  created_by?: string;
  empty_layer?: boolean;
}

export interface Member {
  id: number;
  entity_name: string;
  entity_type: string;
  role_id: number;
  role_name?: string;
}

export interface Access {
  resource: string;
  action: string;
}

export interface RobotPermission {
  kind: string;
  namespace: string;
  access: Access[];
}

export interface Robot {
  id: number;
  name: string;
  description?: string;
  level: string;
  duration?: number;
  disable: boolean;
  expires_at?: number;
  creation_time?: string;
  permissions?: RobotPermission[];
}

export interface RobotCreated {
  id: number;
  name: string;
  secret: string;
  expires_at?: number;
}

export interface AuditLog {
  id: number;
  username: string;
  resource: string;
  resource_type: string;
  operation: string;
  op_time: string;
}

export interface User {
  user_id: number;
  username: string;
  email?: string;
  realname?: string;
  sysadmin_flag?: boolean;
  creation_time?: string;
}
