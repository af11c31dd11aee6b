"""Turn Dagster's wrapped step errors into the one line an operator needs."""

from dagster._utils.error import SerializableErrorInfo


def root_message(error: SerializableErrorInfo | None) -> str:
    """The message of the innermost non-Dagster error: "portal unreachable", not "error occurred in op"."""
    if error is None:
        return "no message"
    while error.cause is not None and "dagster" in (error.cls_name or "").lower():
        error = error.cause
    text = error.message.strip()
    # dagster.Failure (our own words, raised by an asset) prints its class path before them
    text = text.removeprefix(f"dagster._core.definitions.events.{error.cls_name}: ").strip()
    return text.splitlines()[0] if text else (error.cls_name or "error")
