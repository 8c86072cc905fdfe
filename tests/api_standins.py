"""Loopback stand-ins for Slack's Web API and Jira's REST API (v2), strict about what the published APIs accept.

Each checks every call against the published method: its name, its required arguments and their limits, and
answers the way the API documents. Sources:

* Slack: https://docs.slack.dev/reference/methods/conversations.create ("Channel names may only contain lowercase
  letters, numbers, hyphens, and underscores, and must be 80 characters or less"; errors `name_taken`,
  `invalid_name_specials`, `invalid_name_maxlength`, `invalid_name_required`, `invalid_name_punctuation`),
  conversations.invite (`channel` an ID; `users` "A comma separated list of user IDs. Up to 30 users may be listed";
  `already_in_channel`, `cant_invite_self`, `user_not_found`), conversations.setTopic (`channel`, `topic`;
  `too_long`: "Topic was longer than 250 characters"), chat.postMessage (`channel` "an encoded ID or channel
  name"; `text` unless blocks or attachments, "no more than 40,000 characters"), usergroups.users.list
  (`usergroup`). A failed call answers HTTP 200 with `{"ok": false, "error": ...}`, as Slack does.
* Jira: https://developer.atlassian.com/server/jira/platform/jira-rest-api-examples/ and the v2 "Create issue"
  reference: POST /rest/api/2/issue with `fields.project` (key or id), `fields.issuetype` (name or id) and
  `fields.summary` (at most 255 characters); `duedate` as YYYY-MM-DD; `assignee` as {"accountId"} (Cloud) or
  {"name"} (Server) or null; answers 201 with id, key and self, or 400 with `errorMessages` and `errors`.

Both bind 127.0.0.1 on a free port, serve from a thread and are stopped by `close()`.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SLACK_NAME = re.compile(r"^[a-z0-9_-]+$")
SLACK_METHODS = ("conversations.create", "conversations.invite", "conversations.setTopic", "chat.postMessage", "usergroups.users.list")


@dataclass
class Call:
    """One request as the stand-in understood it, and what it answered."""

    method: str
    args: dict
    ok: bool
    error: str | None = None


@dataclass
class Channel:
    id: str
    name: str
    members: list[str]
    topic: str = ""
    messages: list[dict] = field(default_factory=list)


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 whose handler calls `self.handle`."""

    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                owner._dispatch(self)

            def do_POST(self) -> None:
                owner._dispatch(self)

        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def _dispatch(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        with self.lock:
            status, answer = self.handle(request.command, request.path, dict(request.headers), body)
        payload = json.dumps(answer).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def handle(self, verb: str, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        raise NotImplementedError

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class SlackStandIn(_Server):
    """A Slack workspace: members, user groups, pre-existing channels, and the five Web API methods the lifecycle uses."""

    def __init__(self, token: str, members: list[str], channels: list[str], usergroups: dict[str, list[str]] | None = None,
                 now: Callable[[], float] | None = None, bot: str = "UBOTUSER") -> None:
        self.token = token
        self.members = set(members) | {bot}
        self.bot = bot
        self.usergroups = usergroups or {}
        self.now = now or (lambda: 0.0)
        self.channels: dict[str, Channel] = {}
        self.calls: list[Call] = []
        self._last_ts = 0.0
        for name in channels:
            self._new_channel(name)
        self.preexisting = set(self.channels)
        super().__init__()

    def _new_channel(self, name: str) -> Channel:
        channel = Channel(id=f"C{len(self.channels) + 1:08d}", name=name, members=[self.bot])
        self.channels[channel.id] = channel
        return channel

    def find(self, ref: str) -> Channel | None:
        """A channel by ID or by name (with or without '#'), as chat.postMessage accepts."""
        if ref in self.channels:
            return self.channels[ref]
        return next((c for c in self.channels.values() if c.name == ref.lstrip("#")), None)

    def rooms(self) -> list[Channel]:
        """Channels created through the API."""
        return [c for i, c in self.channels.items() if i not in self.preexisting]

    def handle(self, verb: str, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        url = urlparse(path)
        method = url.path.rsplit("/", 1)[-1]
        if not url.path.startswith("/api/") or method not in SLACK_METHODS:
            return self._answer(method, {}, "unknown_method", status=404)
        auth = headers.get("Authorization", "")
        args: dict = {k: v[-1] for k, v in parse_qs(url.query).items()}
        content_type = headers.get("Content-Type", "")
        if verb == "POST":
            if content_type.startswith("application/json"):
                try:
                    args.update(json.loads(body or b"{}"))
                except ValueError:
                    return self._answer(method, args, "invalid_json")
            elif content_type.startswith("application/x-www-form-urlencoded"):
                args.update({k: v[-1] for k, v in parse_qs(body.decode()).items()})
            elif body:
                return self._answer(method, args, "invalid_post_type")
        if not auth:
            return self._answer(method, args, "not_authed")
        if auth != f"Bearer {self.token}":
            return self._answer(method, args, "invalid_auth")
        return getattr(self, "_" + method.replace(".", "_"))(method, args)

    def _answer(self, method: str, args: dict, error: str | None = None, status: int = 200, **result) -> tuple[int, dict]:
        self.calls.append(Call(method, args, error is None, error))
        return status, ({"ok": True, **result} if error is None else {"ok": False, "error": error})

    def _conversations_create(self, method: str, args: dict) -> tuple[int, dict]:
        name = args.get("name")
        if not name:
            return self._answer(method, args, "invalid_name_required")
        if not isinstance(name, str) or not SLACK_NAME.match(name):
            return self._answer(method, args, "invalid_name_specials")
        if len(name) > 80:
            return self._answer(method, args, "invalid_name_maxlength")
        if not re.search(r"[a-z0-9]", name):
            return self._answer(method, args, "invalid_name_punctuation")
        if any(c.name == name for c in self.channels.values()):
            return self._answer(method, args, "name_taken")
        channel = self._new_channel(name)
        return self._answer(method, args, channel={"id": channel.id, "name": name, "is_channel": True, "created": int(self.now()),
                                                   "creator": self.bot, "is_member": True, "topic": {"value": ""}})

    def _conversations_invite(self, method: str, args: dict) -> tuple[int, dict]:
        channel = self.channels.get(args.get("channel") or "")
        if channel is None:
            return self._answer(method, args, "channel_not_found")
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if not users:
            return self._answer(method, args, "no_user")
        if len(users) > 30:
            return self._answer(method, args, "invalid_arguments")
        if self.bot in users:
            return self._answer(method, args, "cant_invite_self")
        if any(u not in self.members for u in users):
            return self._answer(method, args, "user_not_found")
        new = [u for u in users if u not in channel.members]
        if not new:
            return self._answer(method, args, "already_in_channel")
        channel.members.extend(new)
        return self._answer(method, args, channel={"id": channel.id, "name": channel.name})

    def _conversations_setTopic(self, method: str, args: dict) -> tuple[int, dict]:
        channel = self.channels.get(args.get("channel") or "")
        if channel is None:
            return self._answer(method, args, "channel_not_found")
        topic = args.get("topic")
        if not isinstance(topic, str):
            return self._answer(method, args, "invalid_arguments")
        if len(topic) > 250:
            return self._answer(method, args, "too_long")
        channel.topic = topic
        return self._answer(method, args, topic=topic)

    def _chat_postMessage(self, method: str, args: dict) -> tuple[int, dict]:
        channel = self.find(str(args.get("channel") or ""))
        if channel is None:
            return self._answer(method, args, "channel_not_found")
        text = args.get("text")
        if not text and not args.get("blocks") and not args.get("attachments"):
            return self._answer(method, args, "no_text")
        if len(text or "") > 40_000:
            return self._answer(method, args, "msg_too_long")
        # Slack's ts is the post time, unique per channel.
        ts = max(self.now(), self._last_ts + 0.000001)
        self._last_ts = ts
        message = {"type": "message", "subtype": "bot_message", "text": text, "ts": f"{ts:.6f}", "bot_id": "B0BOT"}
        channel.messages.append(message)
        return self._answer(method, args, channel=channel.id, ts=message["ts"], message=message)

    def _usergroups_users_list(self, method: str, args: dict) -> tuple[int, dict]:
        group = args.get("usergroup")
        if not group:
            return self._answer(method, args, "invalid_arguments")
        if group not in self.usergroups:
            return self._answer(method, args, "no_such_subteam")
        return self._answer(method, args, users=list(self.usergroups[group]))


@dataclass
class Issue:
    key: str
    fields: dict


class JiraStandIn(_Server):
    """A Jira site with projects, their issue types and users; POST /rest/api/2/issue only."""

    ALLOWED_FIELDS = {"project", "issuetype", "summary", "description", "duedate", "labels", "assignee", "priority"}

    def __init__(self, username: str, password: str, projects: dict[str, list[str]], accounts: list[str],
                 users: str = "cloud") -> None:
        self.auth = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.projects = projects
        self.accounts = set(accounts)
        self.users = users
        self.issues: list[Issue] = []
        self.calls: list[Call] = []
        super().__init__()

    def handle(self, verb: str, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        if (verb, urlparse(path).path) != ("POST", "/rest/api/2/issue"):
            self.calls.append(Call(f"{verb} {path}", {}, False, "not found"))
            return 404, {"errorMessages": ["null for uri: " + path], "errors": {}}
        if headers.get("Authorization") != self.auth:
            self.calls.append(Call("create issue", {}, False, "unauthorized"))
            return 401, {"errorMessages": ["You are not authenticated. Authentication required to perform this operation."], "errors": {}}
        if not headers.get("Content-Type", "").startswith("application/json"):
            self.calls.append(Call("create issue", {}, False, "unsupported media type"))
            return 415, {"errorMessages": ["Unsupported Media Type"], "errors": {}}
        try:
            doc = json.loads(body)
        except ValueError:
            return self._fail({}, {"errorMessages": ["Unexpected character in the request body"], "errors": {}})
        fields = doc.get("fields") if isinstance(doc, dict) else None
        if not isinstance(fields, dict):
            return self._fail(doc, {"errorMessages": ["Issue must contain fields"], "errors": {}})
        errors = self._field_errors(fields)
        if errors:
            return self._fail(doc, {"errorMessages": [], "errors": errors})
        issue = Issue(key=f"{fields['project'].get('key')}-{len(self.issues) + 1}", fields=fields)
        self.issues.append(issue)
        self.calls.append(Call("create issue", doc, True))
        issue_id = str(10000 + len(self.issues))
        return 201, {"id": issue_id, "key": issue.key, "self": f"{self.url}/rest/api/2/issue/{issue_id}"}

    def _fail(self, doc: object, answer: dict) -> tuple[int, dict]:
        self.calls.append(Call("create issue", doc if isinstance(doc, dict) else {}, False, json.dumps(answer, sort_keys=True)))
        return 400, answer

    def _field_errors(self, fields: dict) -> dict[str, str]:
        errors: dict[str, str] = {}
        for name in sorted(set(fields) - self.ALLOWED_FIELDS):
            errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        project = fields.get("project")
        key = project.get("key") if isinstance(project, dict) else None
        if key not in self.projects:
            errors["project"] = "valid project is required"
        issuetype = fields.get("issuetype")
        if not isinstance(issuetype, dict) or issuetype.get("name") not in self.projects.get(key or "", []):
            errors["issuetype"] = "valid issue type is required"
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(summary) > 255 or "\n" in summary:
            errors["summary"] = "Summary must be less than 255 characters and on one line."
        if "description" in fields and not isinstance(fields["description"], str):
            errors["description"] = "Operation value must be a string"
        if "duedate" in fields:
            due = fields["duedate"]
            try:
                if not isinstance(due, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", due):
                    raise ValueError
                date.fromisoformat(due)
            except ValueError:
                errors["duedate"] = f"Error parsing date string: {due}"
        if "labels" in fields:
            labels = fields["labels"]
            if not isinstance(labels, list) or any(not isinstance(x, str) or not x or " " in x for x in labels):
                errors["labels"] = "The label must not contain spaces."
        if "assignee" in fields and fields["assignee"] is not None:
            key_name = "accountId" if self.users == "cloud" else "name"
            who = fields["assignee"].get(key_name) if isinstance(fields["assignee"], dict) else None
            if who not in self.accounts:
                errors["assignee"] = f"User '{who}' does not exist."
        return errors
