"""Finished runs, one JSON file each, so that a profile resumes where it stopped.

A profile's runs live in ``<cache dir>/<profile>-<hash of its settings>/``, one
file ``<row slug>/seed<seed>.json`` per run. Changing a setting changes the
hash, hence the folder: runs of other settings are never mixed in. Nothing
else (the estimator, the package's version, the machine) enters the key;
each run's file records those.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from _catalogue import slugify
from _common import write_json


def settings_key(settings) -> str:
    blob = json.dumps(dataclasses.asdict(settings), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:8]


class RunCache:
    """The cached runs of one profile."""

    def __init__(self, cache_dir: Path, profile: str, settings):
        self.profile = profile
        self.settings = dataclasses.asdict(settings)
        self.folder = Path(cache_dir) / f"{profile}-{settings_key(settings)}"

    def path(self, row: str, seed: int, skipped: bool = False) -> Path:
        name = f"seed{seed}.skipped.json" if skipped else f"seed{seed}.json"
        return self.folder / slugify(row) / name

    def __contains__(self, row_seed: tuple[str, int]) -> bool:
        """Whether the run is done; a skipped one is not (it is tried again)."""
        return self.path(*row_seed).exists()

    def add(self, run: dict) -> None:
        """Keep a run, or the record of a skipped one (``"skipped"`` in it).

        A run replaces the skipped record of the same row and seed.
        """
        if "skipped" in run:
            write_json(self.path(run["row"], run["seed"], skipped=True), run)
            return
        write_json(self.path(run["row"], run["seed"]), run)
        self.path(run["row"], run["seed"], skipped=True).unlink(missing_ok=True)

    def runs(self) -> list[dict]:
        """Every readable run and skipped record (a file being written is left out).

        A skipped record whose run has since been made is left out too.
        """
        runs = []
        for path in sorted(self.folder.glob("*/seed*.json")):
            if path.name.endswith(".skipped.json") and (
                path.with_name(path.name.replace(".skipped", "")).exists()
            ):
                continue
            try:
                runs.append(json.loads(path.read_text()))
            except (OSError, json.JSONDecodeError):
                continue
        return runs

    def import_outputs(self, outputs: dict) -> int:
        """Add the runs of a written ``<name>_<profile>.json`` that are missing.

        Runs already cached are kept. Returns how many were added; raises
        ``ValueError`` when the file is of another profile or other settings.
        """
        if outputs.get("profile") != self.profile:
            raise ValueError(
                f"the file holds profile {outputs.get('profile')!r}, not "
                f"{self.profile!r}"
            )
        if outputs.get("settings") != self.settings:
            raise ValueError(
                f"its settings differ from profile {self.profile!r}'s: "
                f"{outputs.get('settings')} against {self.settings}"
            )
        added = 0
        for run in outputs["runs"]:
            if (run["row"], run["seed"]) not in self:
                self.add(run)
                added += 1
        for record in outputs.get("skipped", []):
            if (record["row"], record["seed"]) not in self:
                self.add(record)
        return added
