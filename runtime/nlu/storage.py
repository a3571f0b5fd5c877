"""The saved model: ``model.json`` (metadata, vocabularies, labels) and ``arrays.npz`` (float32 weights).

Nothing in a saved model is code: JSON is validated by pydantic and arrays are read with
``allow_pickle=False``, so loading a bot never executes anything from its files. Writing is
deterministic (sorted keys, fixed zip timestamps), so the same training gives byte-identical files.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from flowbot.errors import FlowbotError

META_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class NluModelError(FlowbotError):
    """A saved NLU model that cannot be read (missing, corrupt, or written by another version)."""


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name in sorted(arrays):
            array = arrays[name]
            if array.dtype == object:
                raise ValueError(f"array {name!r} has dtype object, which cannot be saved without pickle")
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(info, buffer.getvalue(), compresslevel=6)


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise NluModelError(f"{path}: cannot read the NLU arrays: {exc}") from exc


def write_meta(path: Path, meta: dict[str, Any]) -> None:
    text = json.dumps(meta, sort_keys=True, ensure_ascii=False, indent=1)
    path.write_text(text + "\n", encoding="utf-8")


def read_meta(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise NluModelError(f"{path}: no NLU model here (train it with `bot build`)") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NluModelError(f"{path}: cannot read the NLU model metadata: {exc}") from exc
    if not isinstance(data, dict):
        raise NluModelError(f"{path}: the NLU model metadata is not a JSON object")
    return data


def replace_dir(target: Path, fill: Any) -> None:
    """Write a folder completely aside, then move it in place, so that a reader never sees half of it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    os.chmod(staging, 0o755)  # mkdtemp's 0700 would hide the model from the server's user
    try:
        fill(staging)
        if target.exists():
            old = target.with_name(f".{target.name}.old.{os.getpid()}")
            target.rename(old)
            staging.rename(target)
            for child in old.iterdir():
                child.unlink()
            old.rmdir()
        else:
            staging.rename(target)
    finally:
        if staging.exists():
            for child in staging.iterdir():
                child.unlink()
            staging.rmdir()
