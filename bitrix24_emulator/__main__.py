"""``python -m bitrix24_emulator`` → the emulator CLI."""

from bitrix24_emulator.cli import app

app()
