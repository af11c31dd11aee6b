"""Make a failed run impossible to miss: a run-failure sensor that says which run, which step, and why.

It always logs the summary (visible in the daemon log and the sensor's tick history in the UI) and,
when ``B24OPS_ALERT_WEBHOOK_URL`` is set (a Slack/Mattermost/Teams incoming webhook — a secret, kept as
``SecretStr``, never logged), posts it there as ``{"text": ...}``.
"""

import dagster as dg
import requests
from pydantic import SecretStr

from orchestration.defs.run_errors import root_message


def failure_summary(run_id: str, job_name: str, step_errors: list[tuple[str, str]]) -> str:
    return "\n".join(
        [f"b24ops run {run_id[:8]} ({job_name}) failed", *(f"- {s}: {m}" for s, m in step_errors)]
    )


def build_alert_sensor(alert_webhook_url: SecretStr | None) -> dg.SensorDefinition:
    """The run-failure sensor, posting to ``alert_webhook_url`` when one is given."""

    @dg.run_failure_sensor(
        name="alert_on_run_failure",
        description="Logs (and posts to B24OPS_ALERT_WEBHOOK_URL, if set) a summary of every failed run.",
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
        step_errors = [
            (event.step_key or "run", root_message(event.event_specific_data.error))
            for event in context.get_step_failure_events()
        ]
        summary = failure_summary(context.dagster_run.run_id, context.dagster_run.job_name, step_errors)
        context.log.error(summary)
        if alert_webhook_url is not None:
            try:
                url = alert_webhook_url.get_secret_value()
                requests.post(url, json={"text": summary}, timeout=10).raise_for_status()
            except requests.RequestException as exc:
                # The alert channel's URL is a secret: name only the failure's class.
                context.log.warning(f"could not post the failure alert: {type(exc).__name__}")

    return alert_on_run_failure
