# The b24ops code location image: Dagster webserver, daemon and user code share it.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH
RUN pip install --no-cache-dir uv
WORKDIR /opt/b24ops
COPY pyproject.toml uv.lock README.md ./
COPY orchestration ./orchestration
COPY bitrix24_emulator ./bitrix24_emulator
COPY dbt_project ./dbt_project
COPY workspace.yaml ./
COPY deploy ./deploy
RUN uv sync --frozen --no-dev --compile-bytecode && dbt parse --project-dir dbt_project --profiles-dir dbt_project
