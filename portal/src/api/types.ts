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
