"""Local stand-ins for everything Alertmanager notifies: one HTTP server for Slack, PagerDuty, Jira and webhooks,
and an SMTP server. They answer the way the real services do, just enough for Alertmanager to count a notification
as delivered, and record each one as (alertname, receiver, integration)."""

from __future__ import annotations

import email
import email.policy
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

# Every notification carries the group's Karma link, which names the alertname (render/alertmanager/templates/alerting.tmpl).
_ALERTNAME = re.compile(r"alertname%3D([A-Za-z0-9_]+)")
_ORIGIN = re.compile(r"Sent by ([a-z0-9-]+) ·|^([a-z0-9-]+) · Alertmanager")


@dataclass(frozen=True)
class Delivery:
    """One firing notification as it arrived: which alert group, through which receiver, by which integration."""

    alertname: str
    receiver: str
    integration: str
    arrived: float = field(default_factory=time.time, compare=False)
    """When it reached the stand-in (Unix time)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alertname(text: str) -> str:
    match = _ALERTNAME.search(text)
    return match.group(1) if match else "?"


class _Server(ThreadingHTTPServer):
    # Three replicas send dozens of notifications at the same moment; the default backlog of 5 resets some
    # connections, and Alertmanager rightly counts those as failed and sends them again from another replica.
    request_queue_size = 256
    daemon_threads = True


class CaptureServer:
    """Slack (app API and incoming webhooks), PagerDuty Events v2, Jira REST v2 and plain webhooks on 127.0.0.1."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _reply(self, code: int, body: object) -> None:
                data = json.dumps(body).encode() if not isinstance(body, bytes) else body
                self.send_response(code)
                self.send_header("Content-Type", "application/json" if not isinstance(body, bytes) else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self) -> None:
                self._read()
                self._reply(204, b"")

            def do_POST(self) -> None:
                raw = self._read()
                capture.requests.append((self.path, raw))
                self._reply(*capture.handle(self.path, raw))

            def _read(self) -> str:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _record(self, delivery: Delivery) -> None:
        with self._lock:
            self.deliveries.append(delivery)

    def handle(self, path: str, raw: str) -> tuple[int, object]:
        body = json.loads(raw) if raw else {}
        if path == "/pagerduty":
            if body.get("event_action") == "trigger":
                details = body["payload"]["custom_details"]
                self._record(Delivery(body["payload"]["class"], details["receiver"], f"pagerduty:{body['payload']['severity']}"))
            return 202, {"status": "success", "message": "Event processed", "dedup_key": body.get("dedup_key", "")}
        if path.startswith("/jira/"):
            if path.endswith("/search") or path.endswith("/search/jql"):
                return 200, {"total": 0, "maxResults": 2, "startAt": 0, "issues": []}
            if path.endswith("/issue"):
                description = body["fields"]["description"]
                origin = _ORIGIN.search(description)
                self._record(Delivery(_alertname(description), origin.group(1) if origin else "?", "jira"))
                return 201, {"id": "10000", "key": f"{body['fields']['project']['key']}-1", "self": self.url}
            return 404, {"errorMessages": [f"unexpected {path}"]}
        if path == "/slack-app" or path.startswith("/hook/"):
            if "attachments" in body:  # Slack: the app API and incoming webhooks take the same message
                attachment = body["attachments"][0]
                if attachment["title"].startswith("[FIRING"):
                    receiver = attachment["footer"].split(" · ")[0]
                    self._record(Delivery(_alertname(attachment["title_link"]), receiver, f"slack:{body['channel']}"))
                if path == "/slack-app":
                    return 200, {"ok": True, "channel": body["channel"], "ts": "1.0"}
                return 200, b"ok"
            if body.get("status") == "firing":  # Alertmanager's webhook payload (OnCall, SMS gateways, generic)
                self._record(Delivery(body["commonLabels"].get("alertname", "?"), body["receiver"], f"webhook:{path[6:]}"))
            return 200, {"status": "ok"}
        return 404, {"error": f"unexpected {path}"}

    def __enter__(self) -> CaptureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps every message (no TLS, no auth: the test settings ask for neither)."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                if message["Subject"].startswith("[FIRING"):
                    text = message.get_body(preferencelist=("plain",)).get_content()
                    sink.deliveries.append(Delivery(_alertname(text), message["X-Alerting-Receiver"], "email"))
                return "250 Message accepted for delivery"

        self.address = f"127.0.0.1:{free_port()}"
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=int(self.address.split(":")[1]))

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
