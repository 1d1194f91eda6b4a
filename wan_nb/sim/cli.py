"""``wan-nb sim`` / ``python -m wan_nb.sim``: serve the simulator on a port (loopback by default)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from wan_nb.sim.config import SimConfig

# Field annotation → argparse type; the flags are derived from SimConfig so CLI and kwargs never drift.
_TYPES: dict[str, Any] = {
    "float": float,
    "int": int,
    "float | None": float,
    "int | None": int,
    "str | None": str,
    "Path | None": Path,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wan-nb sim",
        description="Serve the offline Wan simulator: unified (/v1/videos), native (/api/v1) and relay (/wan, "
        "/v1/tasks) dialects, rendering real H.264 MP4s.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default: 8000)")
    for item in fields(SimConfig):
        if item.name == "clock":
            continue
        flag = "--" + item.name.replace("_", "-")
        default = None if item.default is MISSING else item.default
        text = f"{item.metadata['help']} (default: {default})"
        if item.type == "bool":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=text)
        else:
            parser.add_argument(flag, type=_TYPES[str(item.type)], default=default, help=text)
    return parser


def knobs_from(arguments: argparse.Namespace) -> dict[str, Any]:
    names = {item.name for item in fields(SimConfig)}
    return {name: value for name, value in vars(arguments).items() if name in names}


def serve(host: str = "127.0.0.1", port: int = 8000, **knobs: Any) -> None:
    """Run the simulator under uvicorn until interrupted."""
    import uvicorn

    from wan_nb.sim.app import create_app

    app = create_app(**knobs)
    base = f"http://{host}:{port}"
    print(f"wan_nb simulator: native {base}/api/v1 · unified {base}/v1/videos · relay {base}/wan/api/v1")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="on")
    finally:
        app.close()


def cli_main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        knobs = knobs_from(arguments)
        SimConfig(**knobs)  # fail on bad values before binding a port
    except ValueError as error:
        print(f"wan-nb sim: {error}")
        return 2
    serve(arguments.host, arguments.port, **knobs)
    return 0
