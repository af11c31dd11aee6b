"""The SLA alert and digest assets and their schedules (the rules of sending: orchestration/alerts/)."""
