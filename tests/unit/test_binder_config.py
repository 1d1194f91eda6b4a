"""The Binder configuration (``binder/``) as written: Python 3.12, exact pins, strict scripts, no secrets."""

from __future__ import annotations

import re

from tests.fixtures.binder import (
    BINDER,
    meaningful_lines,
)

SECRET_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9]"),
    re.compile(r"\b(?:[A-Z0-9_]*(?:API_KEY|TOKEN|SECRET|PASSWORD))\s*=", re.I),
    re.compile(r"Bearer\s+\S"),
    re.compile(r"\bLTAI[A-Za-z0-9]{8,}"),  # Alibaba Cloud AccessKey ids
)


def test_runtime_pins_python_312() -> None:
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.12"


def test_requirements_install_the_package_with_its_simulator_and_exact_pins() -> None:
    lines = meaningful_lines(BINDER / "requirements.txt")
    assert lines[0] == "-e .[sim]", (
        "with a binder/ folder, repo2docker does not install pyproject.toml itself"
    )
    for line in lines[1:]:
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", line), f"pin exactly: {line!r}"
    pinned = {line.split("==")[0].lower() for line in lines[1:]}
    assert {
        "httpx",
        "ipywidgets",
        "av",
        "numpy",
        "pillow",
        "uvicorn",
        "nest-asyncio2",
        "platformdirs",
    } <= pinned
    # tests/integration/test_kernel_background.py: background tasks run between cells
    assert "ipykernel" in pinned


def test_postbuild_checks_the_encoder_and_allows_mp4_in_voila() -> None:
    text = (BINDER / "postBuild").read_text()
    assert "'libx264' in av.codecs_available" in text
    assert "voila.json" in text and "file_allowlist" in text and "mp4" in text


def test_start_defaults_to_the_simulator_and_hands_over() -> None:
    lines = meaningful_lines(BINDER / "start")
    assert lines[-1] == 'exec "$@"'
    assert 'export WAN_NB_PROVIDER="${WAN_NB_PROVIDER:-sim}"' in lines


def test_no_secrets_in_binder() -> None:
    for path in sorted(BINDER.iterdir()):
        text = path.read_text()
        for pattern in SECRET_PATTERNS:
            match = pattern.search(text)
            assert match is None, f"binder/{path.name} looks like it holds a secret: {match.group(0)!r}"
