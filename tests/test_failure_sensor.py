"""A failed run produces an alert naming the step and the reason, posted over real HTTP when configured."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
from pydantic import SecretStr

from orchestration.defs.sensors import build_alert_sensor


class _Collector(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Collector.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@dg.op
def explode():
    raise RuntimeError("portal said no")


@dg.job
def doomed():
    explode()


def test_failed_run_is_posted_with_step_and_reason():
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    alert_on_run_failure = build_alert_sensor(SecretStr(f"http://127.0.0.1:{server.server_port}/hook"))
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            result = doomed.execute_in_process(instance=instance, raise_on_error=False)
            assert not result.success
            failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
            context = dg.build_run_status_sensor_context(
                sensor_name="alert_on_run_failure",
                dagster_event=failure,
                dagster_instance=instance,
                dagster_run=result.dagster_run,
            ).for_run_failure()
            alert_on_run_failure(context)
    finally:
        server.shutdown()
    assert len(_Collector.received) == 1
    text = _Collector.received[0]["text"]
    assert "failed" in text and "explode" in text and "portal said no" in text
