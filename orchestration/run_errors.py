"""Turn Dagster's wrapped step errors into the one line an operator needs."""

from dagster._utils.error import SerializableErrorInfo


def root_message(error: SerializableErrorInfo | None) -> str:
    """The message of the innermost non-Dagster error: "portal unreachable", not "error occurred in op"."""
    if error is None:
        return "no message"
    while error.cause is not None and "dagster" in (error.cls_name or "").lower():
        error = error.cause
    text = error.message.strip()
    return text.splitlines()[0] if text else (error.cls_name or "error")
