from orchestration.cli import app

app(prog_name="b24ops")
