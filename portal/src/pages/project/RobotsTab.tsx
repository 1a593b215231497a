// A project's robot accounts (the same page as the system's, scoped to the project).
import type { Project } from "../../api/types";
import { RobotAccounts } from "../robots/RobotAccounts";

export function RobotsTab(props: { project: Project }) {
  return <RobotAccounts project={props.project} />;
}
