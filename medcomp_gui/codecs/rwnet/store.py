"""Where the trained RWNet lives and how its files are written and identified.

A model is three files in one folder, named after its id (e.g. ``rwnet-v4``):

- ``<id>.json``: :class:`~.model.RWNetConfig`, training summary, the files' sha256, and
  for a network whose learned branches are gated shut (:func:`~.model.gates_closed`)
  its per-level gains (``fixed_path``), with which the codec runs the fixed wavelet path
  without TensorFlow;
- ``<id>.weights.h5``: Keras weights (``model.save_weights``; no pickle, no Lambda);
- ``<id>.tables.npz``: integer probability tables (:mod:`.tables`).

The model hash recorded in every .mcz is the sha256 of the weights bytes, the tables
bytes and, when there is one, the json's ``fixed_path`` entry (sorted-key json), so a
hand-edited gain is a model mismatch too.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

MODEL_ID = "rwnet-v5"
ENV_DIR = "MEDCOMP_RWNET_MODEL_DIR"


def default_dir() -> Path:
    """``$MEDCOMP_RWNET_MODEL_DIR``, else the repository's ``models/``."""
    env = os.environ.get(ENV_DIR)
    return Path(env) if env else Path(__file__).resolve().parents[3] / "models"


def paths(folder: str | Path, model_id: str = MODEL_ID) -> dict[str, Path]:
    folder = Path(folder)
    return {
        "config": folder / f"{model_id}.json",
        "weights": folder / f"{model_id}.weights.h5",
        "tables": folder / f"{model_id}.tables.npz",
    }


def model_hash(weights: Path, tables: Path, fixed_path: dict | None = None) -> str:
    digest = hashlib.sha256()
    digest.update(Path(weights).read_bytes())
    digest.update(Path(tables).read_bytes())
    if fixed_path is not None:
        digest.update(json.dumps(fixed_path, sort_keys=True).encode())
    return digest.hexdigest()


def identity(folder: str | Path, model_id: str = MODEL_ID) -> tuple[str, str]:
    """(model id, model hash) of the model in ``folder``, the hash computed from its files
    as the codec writes it into every .mcz. OSError/ValueError for missing or bad files."""
    files = paths(folder, model_id)
    meta = json.loads(files["config"].read_text())
    return meta["model_id"], model_hash(files["weights"], files["tables"], meta.get("fixed_path"))


def missing(folder: str | Path, model_id: str = MODEL_ID) -> list[Path]:
    return [p for p in paths(folder, model_id).values() if not p.is_file()]


def needs_network(folder: str | Path, model_id: str = MODEL_ID) -> bool:
    """Whether the model in ``folder`` runs its learned branches (TensorFlow): its json
    has no ``fixed_path`` gains. A json that cannot be read counts as not needing it
    (loading the model then says what is wrong with it)."""
    try:
        meta = json.loads(paths(folder, model_id)["config"].read_text())
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("fixed_path") is None


def export(model, folder: str | Path, summary: dict, frames: list, model_id: str = MODEL_ID) -> str:
    """Write weights, tables and config of ``model`` (an :class:`~.model.RWNet`) atomically.

    ``frames``: training images (float32, [-0.5, 0.5], sides multiples of 16) whose
    latents fit the tables (:func:`.tables.fit_model`). Returns the model hash.
    """
    from medcomp_gui.codecs.rwnet.tables import fit_model

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = paths(folder, model_id)
    tmp = {k: p.with_name(f"tmp{os.getpid()}-{p.name}") for k, p in target.items()}
    model.save_weights(tmp["weights"])
    fit_model(model, frames).save(tmp["tables"])
    fixed = fixed_path_entry(model)
    digest = model_hash(tmp["weights"], tmp["tables"], fixed.get("fixed_path"))
    config = {
        "model_id": model_id,
        "config": model.cfg.to_json(),
        "model_hash": digest,
        "training": summary,
        **fixed,
    }
    tmp["config"].write_text(json.dumps(config, indent=1) + "\n")
    for key in ("weights", "tables", "config"):
        os.replace(tmp[key], target[key])
    return digest


def fixed_path_entry(model) -> dict:
    """``{"fixed_path": {"gain": ..., "inv_gain": ...}}`` (float32 values, per level and
    channel) when ``model``'s learned branches are gated shut, else ``{}``."""
    from medcomp_gui.codecs.rwnet.model import gates_closed, level_gains

    if not gates_closed(model):
        return {}
    gain, inv_gain = level_gains(model)
    return {"fixed_path": {"gain": gain.tolist(), "inv_gain": inv_gain.tolist()}}


def fixed_path_gains(meta: dict, levels: int, channels: int):
    """(gain, inv_gain) float32 ``(levels, channels)`` from a model's json ``meta``, or
    None when the model needs its network (no ``fixed_path`` entry)."""
    import numpy as np

    fixed = meta.get("fixed_path")
    if fixed is None:
        return None
    gain = np.asarray(fixed["gain"], np.float32)
    inv_gain = np.asarray(fixed["inv_gain"], np.float32)
    if gain.shape != (levels, channels) or inv_gain.shape != (levels, channels):
        raise ValueError("the fixed_path gains do not match the model's configuration")
    if not (np.all(np.isfinite(gain)) and np.all(np.isfinite(inv_gain))):
        raise ValueError("the fixed_path gains are not finite")
    return gain, inv_gain


def load_network(folder: str | Path, model_id: str = MODEL_ID):
    """The :class:`~.model.RWNet` of the model in ``folder``, weights loaded (TensorFlow)."""
    from medcomp_gui.codecs.rwnet.model import RWNet, RWNetConfig

    files = paths(folder, model_id)
    meta = json.loads(files["config"].read_text())
    net = RWNet(RWNetConfig.from_json(meta["config"]))
    net.load_weights(files["weights"])
    return net
