#!/usr/bin/env python3
"""Times a tag retention dry run through the API for bench/lifecycle.sh: creates a policy on
project PROJECT (keep the 10 most recently pushed artifacts of every repository), starts a dry
run, waits for it and prints the execution's own duration in seconds (end_time - start_time),
then the number of tasks and of artifacts that would go. Usage: ADDR PASSWORD PROJECT"""
import base64
import datetime
import json
import sys
import time
import urllib.request


def main():
    addr, password, project = sys.argv[1], sys.argv[2], sys.argv[3]
    auth = "Basic " + base64.b64encode(("admin:" + password).encode()).decode()

    def call(method, path, body=None, headers=None):
        request = urllib.request.Request("http://%s/api/v2.0%s" % (addr, path), method=method,
                                         data=json.dumps(body).encode() if body is not None else None)
        request.add_header("Authorization", auth)
        request.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            request.add_header(k, v)
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.headers, response.read()

    _, body = call("GET", "/projects/" + project, headers={"X-Is-Resource-Name": "true"})
    project_id = json.loads(body)["project_id"]
    selector = lambda decoration: {"kind": "doublestar", "decoration": decoration, "pattern": "**"}
    policy = {"algorithm": "or",
              "rules": [{"action": "retain", "template": "latestPushedK", "params": {"latestPushedK": 10},
                         "tag_selectors": [dict(selector("matches"), extras='{"untagged":true}')],
                         "scope_selectors": {"repository": [selector("repoMatches")]}}],
              "trigger": {"kind": "Schedule", "settings": {"cron": ""}},
              "scope": {"level": "project", "ref": project_id}}
    headers, _ = call("POST", "/retentions", policy)
    policy_path = headers["Location"][len("/api/v2.0"):]
    headers, _ = call("POST", policy_path + "/executions", {"dry_run": True})
    execution_id = int(headers["Location"].rsplit("/", 1)[1])
    while True:
        _, body = call("GET", policy_path + "/executions?page_size=100")
        execution = next(e for e in json.loads(body) if e["id"] == execution_id)
        if execution["status"] in ("Success", "Error", "Stopped"):
            break
        time.sleep(0.05)
    if execution["status"] != "Success":
        sys.exit("retention dry run ended %s" % execution["status"])
    parse = lambda text: datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    seconds = (parse(execution["end_time"]) - parse(execution["start_time"])).total_seconds()
    tasks, total, retained, page = 0, 0, 0, 1
    while True:
        _, body = call("GET", "%s/executions/%d/tasks?page=%d&page_size=100" % (policy_path, execution_id, page))
        items = json.loads(body)
        for task in items:
            tasks += 1
            total += task["total"]
            retained += task["retained"]
        if len(items) < 100:
            break
        page += 1
    print("%.2f %d %d" % (seconds, tasks, total - retained))


if __name__ == "__main__":
    main()
