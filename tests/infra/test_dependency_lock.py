"""The layer's lock (layers/jira_port/requirements.txt) is complete, hashed and current with requirements.in.

Re-resolving needs the network, so staleness is checked offline from both ends: every pin of
requirements.in is in the lock at the same version; the lock holds exactly the packages those pins need
(walked through the installed packages' metadata, markers evaluated); every entry is hashed; and the
installed versions are the locked ones. `make lock` regenerates it (pip-compile --generate-hashes).
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "jira_port"
IN_FILE = LAYER / "requirements.in"
LOCK = LAYER / "requirements.txt"


def _top_level() -> list[Requirement]:
    lines = [line.split("#", 1)[0].strip() for line in IN_FILE.read_text(encoding="utf-8").splitlines()]
    return [Requirement(line) for line in lines if line]


def _lock() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of every entry of the lock."""
    text = LOCK.read_text(encoding="utf-8").replace("\\\n", " ")
    entries: dict[str, tuple[str, list[str]]] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            assert not line.startswith(("--index-url", "--extra-index-url", "--find-links")), line
            continue
        pin, *options = line.split()
        name, _, version = pin.partition("==")
        assert version, f"not an exact pin: {pin}"
        entries[canonicalize_name(name)] = (version, [o for o in options if o.startswith("--hash=sha256:")])
    return entries


def _needed() -> set[str]:
    """Every distribution the top-level requirements pull in, from the installed packages' metadata."""
    seen: set[str] = set()
    todo = [(canonicalize_name(r.name), frozenset(r.extras)) for r in _top_level()]
    while todo:
        name, extras = todo.pop()
        key = f"{name}{sorted(extras)}"
        if key in seen:
            continue
        seen.add(key)
        for text in metadata.requires(name) or []:
            req = Requirement(text)
            wanted = [{"extra": extra} for extra in extras] or [{"extra": ""}]  # over the running environment
            if req.marker is None or any(req.marker.evaluate(e) for e in wanted):
                todo.append((canonicalize_name(req.name), frozenset(req.extras)))
    return {key.split("[", 1)[0] for key in seen}


def test_every_top_level_pin_is_locked_at_its_version() -> None:
    lock = _lock()
    for req in _top_level():
        (spec,) = req.specifier
        assert spec.operator == "==", f"{req}: requirements.in pins exact versions"
        assert lock[canonicalize_name(req.name)][0] == spec.version, req.name


def test_the_lock_holds_exactly_the_packages_the_pins_need() -> None:
    lock, needed = set(_lock()), _needed()
    assert needed - lock == set(), "transitive packages missing from the lock: run `make lock`"
    assert lock - needed == set(), "packages in the lock nothing needs: run `make lock`"


def test_every_locked_package_is_hashed_and_installed_at_its_version() -> None:
    for name, (version, hashes) in _lock().items():
        assert hashes, f"{name} has no --hash"
        assert all(re.fullmatch(r"--hash=sha256:[0-9a-f]{64}", h) for h in hashes), name
        assert metadata.version(name) == version, (
            f"{name}: installed {metadata.version(name)}, locked {version}"
        )


def test_the_lock_was_made_by_the_documented_command() -> None:
    lines = LOCK.read_text(encoding="utf-8").splitlines()
    header = "\n".join(line for line in lines if line.startswith("#"))
    assert "pip-compile" in header and "--generate-hashes" in header
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip-compile --quiet --generate-hashes" in makefile
    assert re.search(
        r"^pip-tools==", (ROOT / "requirements-dev.txt").read_text(encoding="utf-8"), re.MULTILINE
    )


def test_the_package_ranges_admit_the_locked_versions() -> None:
    lock = _lock()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for text in project["dependencies"]:
        req = Requirement(text)
        version = lock[canonicalize_name(req.name)][0]
        assert req.specifier.contains(version), f"pyproject {req} excludes the locked {version}"
