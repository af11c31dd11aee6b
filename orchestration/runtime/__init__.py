"""Local processes the commands start and stop: background services by recorded PID (never by name)."""
