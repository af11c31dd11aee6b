"""``python -m bitrix24_emulator serve``: generate a portal and serve it until SIGTERM/SIGINT.

Prints ``webhook: <url>`` (and the limits mode, and the certificate path with ``--https``) once it is
listening; ``--url-file`` additionally writes the webhook URL to a file, so a parent process can start
the emulator and learn its URL without parsing stdout.
"""

from __future__ import annotations

import signal
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from bitrix24_emulator.generator.config import ActivityScenario
from bitrix24_emulator.server import Emulator, Faults, Hostile, Limits, MethodOptions, ServerConfig
from bitrix24_emulator.server.hostile import parse_case

app = typer.Typer(add_completion=False, help="Local Bitrix24 portal emulator.")


@app.callback()
def main() -> None:
    """Bitrix24 portal emulator (data generator + REST server)."""


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    seed: int = 42,
    managers: int = 70,
    days: int = 365,
    end_date: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="The portal's today: its history ends the day before. Default: today in the portal's zone.",
        ),
    ] = None,
    fast: Annotated[
        bool, typer.Option(help="No rate limit, no operating budget, no simulated latency.")
    ] = False,
    plan: Annotated[
        str, typer.Option(help="standard (2 req/s, burst 50) or enterprise (5/250).")
    ] = "standard",
    live_rate: Annotated[
        float, typer.Option(help="Live-mode mutations per second (0 = static portal).")
    ] = 0.0,
    faults: Annotated[float, typer.Option(help="Probability that a request gets a random fault.")] = 0.0,
    answer_delay: Annotated[
        float,
        typer.Option(help="Seconds every REST answer waits first, as on a busy machine (0 = at once)."),
    ] = 0.0,
    fault_seed: int = 0,
    hostile: Annotated[
        list[str] | None,
        typer.Option(
            help="A hostile answer, CASE:METHOD:ROWS[:TIMES] (repeatable): short_page:crm.deal.list:37 cuts"
            " full pages to 37 rows; total_beyond_rows:user.get:10:0 lists 10 users fewer than its total"
            " (TIMES answers changed, 0 = every one; default 1)."
        ),
    ] = None,
    https: Annotated[
        bool, typer.Option(help="Serve HTTPS with a generated self-signed certificate.")
    ] = False,
    cert_dir: Annotated[Path | None, typer.Option(help="Where --https writes cert.pem/key.pem.")] = None,
    truth_out: Annotated[Path | None, typer.Option(help="Write the ground truth to this path.")] = None,
    url_file: Annotated[Path | None, typer.Option(help="Write the webhook URL here once listening.")] = None,
    comment_list_full_filter: Annotated[
        bool,
        typer.Option(
            help="crm.timeline.comment.list applies every filter key (>ID too), as the docs before 2026 said;"
            " by default only ENTITY_ID/ENTITY_TYPE, as the vendor's code."
        ),
    ] = False,
    activity_scenario: Annotated[
        ActivityScenario,
        typer.Option(
            help="How telephony completes call activities: universal (the vendor's default: incoming calls"
            " and callbacks wait, COMPLETED N, until handled) or classic (only missed ones are N)."
        ),
    ] = "universal",
    lead_share: Annotated[
        float,
        typer.Option(
            help="Share of the requests from outside that arrive as a lead (plus junk, in-work and repeated"
            " leads); 0 = a deals-only portal."
        ),
    ] = 0.3,
) -> None:
    """Generate a portal from --seed/--managers/--days/--end-date and serve its REST API (leads and deals by
    default)."""
    from bitrix24_emulator import generator

    started = time.monotonic()
    config = generator.GeneratorConfig(
        seed=seed,
        managers=managers,
        days=days,
        end_date=end_date.date() if end_date else None,
        activity_scenario=activity_scenario,
        lead_share=lead_share,
    )
    portal = generator.generate(config)
    typer.echo(
        f"generated portal: seed {seed}, {managers} managers, {days} days up to {config.end_date},"
        f" {activity_scenario} activity scenario, lead share {lead_share:g}"
        f" in {time.monotonic() - started:.1f} s"
    )
    if truth_out is not None:
        generator.write_truth(portal, truth_out)
        typer.echo(f"truth: {truth_out}")
    limits = Limits.off() if fast else Limits.cloud(plan).with_(latency_scale=1.0)
    server_config = ServerConfig(
        limits=limits,
        faults=Faults(probability=faults, seed=fault_seed),
        hostile=Hostile(tuple(parse_case(text) for text in hostile or [])),
        methods=MethodOptions(comment_list_full_filter=comment_list_full_filter),
        answer_delay_s=answer_delay,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with Emulator(
        portal, server_config, host=host, port=port, https=https, live_rate=live_rate, cert_dir=cert_dir
    ) as emu:
        mode = "FAST (limits off)" if fast else f"{plan} plan"
        typer.echo(f"limits: {mode}: {limits.describe()}")
        typer.echo(f"live mode: {live_rate:g} changes/s; faults: probability {faults:g}")
        typer.echo(f"methods: {server_config.methods}")
        if emu.cert_path is not None:
            typer.echo(f"certificate: {emu.cert_path}")
        typer.echo(f"webhook: {emu.webhook_url}", nl=True)
        if url_file is not None:
            url_file.write_text(emu.webhook_url + "\n")
        stop.wait()
    typer.echo("stopped")
