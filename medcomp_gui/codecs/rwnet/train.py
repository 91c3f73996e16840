"""Training of RWNet (``medcomp train``): patches, augmentation, RD loss, checkpoints.

Data: the slices prepared by :mod:`.data` (``scripts/prepare_rwnet_data.py``). Each step
draws ``batch`` random patches, each with a random quality level ``q``; the loss is
``bpp + lambda[q] * MSE`` (image in [0, 1] units), each level's term divided by a running
mean of itself so that all levels keep learning. Adam. Output folder (``--run``):
``log.csv`` (one line per logging interval, with validation), ``ckpt/`` (resumable:
weights, optimiser state, step, RNG state) and ``export/`` (the codec's model files,
also copied to ``--export-to`` when given).

The model is pure ``keras.ops``; this training loop uses TensorFlow's GradientTape.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default="data/rwnet", help="prepared data folder")
    parser.add_argument("--run", default="runs/rwnet", help="output folder (log, checkpoints)")
    parser.add_argument("--resume", action="store_true", help="continue from --run's checkpoint")
    parser.add_argument("--init", default=None, help="start from these .weights.h5 (fine-tuning)")
    parser.add_argument("--steps", type=int, default=200000, help="stop after this step")
    parser.add_argument(
        "--hours", type=float, default=0.0, help="stop after this long (0: no limit)"
    )
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--patch", type=int, default=128, help="patch side, multiple of 16")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--threads", type=int, default=1, help="TensorFlow intra-op threads")
    parser.add_argument("--log-every", type=int, default=100)
    parser.add_argument("--checkpoint-minutes", type=float, default=5.0)
    parser.add_argument("--export-minutes", type=float, default=15.0)
    parser.add_argument(
        "--export-to", default=None, help="write model files here (default: <run>/export)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--model-id", default=None, help="name of the exported model files (default: the codec's)"
    )
    parser.add_argument(
        "--export-only",
        action="store_true",
        help="with --resume: write the checkpoint's model files (and validate) and stop",
    )
    parser.add_argument(
        "--freeze-gains",
        action="store_true",
        help="keep the gain units at their balanced start (train transforms and priors)",
    )
    parser.add_argument(
        "--balanced-gains",
        action="store_true",
        help="with --export-only: export with the gains reset to their balanced start "
        "(uniform image-domain step per channel, see RWNet.balance_gains)",
    )
    parser.add_argument(
        "--prior-lr-factor",
        type=float,
        default=10.0,
        help="learning rate of the priors relative to --lr",
    )
    parser.add_argument(
        "--prior-warmup",
        type=int,
        default=300,
        help="first steps train only the priors (transforms frozen)",
    )


# ---------------------------------------------------------------- data sampling

#: share of each modality group in a batch
CATEGORY_WEIGHTS = {"CT": 0.25, "MR": 0.25, "CRDX": 0.2, "US": 0.15, "MG": 0.15}
BIT_CHOICES = (8, 10, 12, 14, 16)


class PatchSampler:
    """Random normalised patches ``(B, P, P, 1)`` in [-0.5, 0.5] from prepared slices."""

    def __init__(self, slices: list[tuple[np.ndarray, int, str, str]], patch: int, seed: int):
        self.patch = patch
        self.rng = np.random.default_rng(seed)
        self.by_category: dict[str, list[tuple[np.ndarray, int]]] = {}
        for pixels, bits, _group, category in slices:
            lo, hi = float(pixels.min()), float(pixels.max())
            norm = ((pixels.astype(np.float32) - lo) / max(hi - lo, 1.0)).astype(np.float32)
            self.by_category.setdefault(category, []).append((norm, bits))
        names = [c for c in CATEGORY_WEIGHTS if c in self.by_category]
        weights = np.array([CATEGORY_WEIGHTS[c] for c in names])
        self.categories, self.weights = names, weights / weights.sum()

    def _crop(self, img: np.ndarray) -> np.ndarray:
        p = self.patch
        if img.shape[0] < p or img.shape[1] < p:
            img = np.pad(
                img, ((0, max(p - img.shape[0], 0)), (0, max(p - img.shape[1], 0))), mode="reflect"
            )
        r = self.rng.integers(0, img.shape[0] - p + 1)
        c = self.rng.integers(0, img.shape[1] - p + 1)
        return img[r : r + p, c : c + p]

    def _augment(self, x: np.ndarray, bits: int) -> np.ndarray:
        rng = self.rng
        x = np.rot90(x, rng.integers(4))
        if rng.random() < 0.5:
            x = x[:, ::-1]
        if rng.random() < 0.5:  # contrast: gamma
            x = x ** rng.uniform(0.6, 1.6)
        if rng.random() < 0.5:  # contrast: content in a narrower part of the range
            x = x * rng.uniform(0.25, 1.0) + rng.uniform(0, 0.2)
        if rng.random() < 0.2:  # inverted (MONOCHROME1)
            x = 1 - x
        depth = max(bits, int(rng.choice(BIT_CHOICES))) if rng.random() < 0.5 else bits
        steps = (1 << depth) - 1
        x = np.round(np.clip(x, 0, 1) * steps) / steps
        return x

    def batch(self, size: int) -> np.ndarray:
        out = np.empty((size, self.patch, self.patch, 1), np.float32)
        for i in range(size):
            cat = self.categories[self.rng.choice(len(self.categories), p=self.weights)]
            items = self.by_category[cat]
            img, bits = items[self.rng.integers(len(items))]
            out[i, :, :, 0] = self._augment(self._crop(img), bits) - 0.5
        return out


def load_split(folder: str) -> tuple[list, list]:
    """(training, development) slices as ``(pixels, bits, study, modality group)``: the
    split is the preparation's, by study (:mod:`.archive`)."""
    from medcomp_gui.codecs.rwnet.data import load

    train, dev = [], []
    for pixels, entry in load(folder):
        item = (pixels, int(entry["bits_stored"]), entry["study"], entry["modality"])
        (dev if entry["split"] == "dev" else train).append(item)
    return train, dev


def fitting_frames(slices: list, max_pixels: float = 12e6, side: int = 512) -> list[np.ndarray]:
    """Training images, normalised as the codec does and padded to multiples of 16, that
    fit the entropy tables: taken in turn from each modality group (so that no group
    dominates the tables), each at most ``side`` x ``side`` (its centre: more images in
    the budget), up to a budget of pixels."""
    by_group: dict[str, list] = {}
    for item in slices:
        by_group.setdefault(item[3], []).append(item)
    queues = [iter(items) for _, items in sorted(by_group.items())]
    frames, pixels = [], 0
    while queues and pixels <= max_pixels:
        for queue in list(queues):
            item = next(queue, None)
            if item is None:
                queues.remove(queue)
                continue
            values = item[0].astype(np.float32)
            low, high = float(values.min()), float(values.max())
            top, left = (max((n - side) // 2, 0) for n in values.shape)
            values = values[top : top + side, left : left + side]
            x = (values - low) / max(high - low, 1.0) - 0.5
            x = np.pad(x, ((0, -x.shape[0] % 16), (0, -x.shape[1] % 16)), mode="symmetric")
            frames.append(x.astype(np.float32))
            pixels += x.size
    return frames


# ---------------------------------------------------------------- training loop


def run(args: argparse.Namespace) -> int:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    from medcomp_gui.codecs.rwnet import store
    from medcomp_gui.codecs.rwnet.model import RWNet, RWNetConfig

    if args.patch % 16:
        raise SystemExit("--patch must be a multiple of 16")
    run_dir = Path(args.run)
    ckpt = run_dir / "ckpt"
    ckpt.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(args.seed)

    cfg = RWNetConfig()
    model = RWNet(cfg)
    prior_vars = list(model.priors.trainable_variables)
    prior_ids = {id(v) for v in prior_vars}
    frozen = prior_ids | (
        {id(model.log_gain), id(model.log_inv_gain)} if args.freeze_gains else set()
    )
    main_vars = [v for v in model.trainable_variables if id(v) not in frozen]
    optimizer = keras.optimizers.Adam(args.lr, clipnorm=1.0)
    optimizer.build(main_vars)
    prior_optimizer = keras.optimizers.Adam(args.lr * args.prior_lr_factor, clipnorm=1.0)
    prior_optimizer.build(prior_vars)
    state = {"step": 0, "ema": [0.0] * cfg.levels, "seconds": 0.0}
    if args.resume and (ckpt / "state.json").is_file():
        model.load_weights(ckpt / "model.weights.h5")
        with np.load(ckpt / "optimizer.npz", allow_pickle=False) as opt:
            for i, var in enumerate(optimizer.variables):
                var.assign(opt[f"v{i}"])
            for i, var in enumerate(prior_optimizer.variables):
                var.assign(opt[f"p{i}"])
        state = json.loads((ckpt / "state.json").read_text())
        optimizer.learning_rate.assign(args.lr)
        prior_optimizer.learning_rate.assign(args.lr * args.prior_lr_factor)
        print(f"resumed at step {state['step']}", flush=True)
    elif args.init:
        model.load_weights(args.init)
    else:
        model.balance_gains()

    train, val = load_split(args.data)
    print(f"{len(train)} training slices, {len(val)} validation slices", flush=True)
    sampler = PatchSampler(train, args.patch, args.seed + state["step"])
    val_batches = [PatchSampler(val, args.patch, 999).batch(args.batch) for _ in range(4)]
    lambdas = tf.constant(cfg.lambdas, tf.float32)
    pixels = float(args.patch * args.patch)

    def make_step(transform: bool):
        @tf.function(reduce_retracing=True, autograph=False)
        def step(x, q, weight):
            with tf.GradientTape() as tape:
                x_hat, bits = model(x, q, training=True)
                mse = tf.reduce_mean(tf.square(x_hat - x), axis=(1, 2, 3))
                bpp = bits / pixels
                per_image = bpp + tf.gather(lambdas, q) * mse
                loss = tf.reduce_mean(per_image * weight)
            grads = tape.gradient(loss, main_vars + prior_vars)
            if transform:
                pairs = zip(grads[: len(main_vars)], main_vars, strict=True)
                optimizer.apply_gradients(pairs)
            pairs = zip(grads[len(main_vars) :], prior_vars, strict=True)
            prior_optimizer.apply_gradients(pairs)
            return per_image, bpp, mse

        return step

    train_step, prior_step = make_step(True), make_step(False)

    @tf.function(reduce_retracing=True, autograph=False)
    def eval_step(x, q):
        x_hat, bits = model(x, q, training=False)
        mse = tf.reduce_mean(tf.square(tf.clip_by_value(x_hat, -0.5, 0.5) - x), axis=(1, 2, 3))
        return bits / pixels, mse

    log_path = run_dir / "log.csv"
    if not log_path.exists():
        header = ["step", "hours", "train_loss"] + [f"val_bpp{q + 1}" for q in range(cfg.levels)]
        header += [f"val_psnr{q + 1}" for q in range(cfg.levels)]
        log_path.write_text(",".join(header) + "\n")

    def validate() -> tuple[list[float], list[float]]:
        bpps, psnrs = [], []
        for q in range(cfg.levels):
            b, m = zip(*(eval_step(x, tf.fill([x.shape[0]], q)) for x in val_batches), strict=True)
            bpps.append(float(np.mean(np.concatenate(b))))
            psnrs.append(float(10 * np.log10(1 / max(np.mean(np.concatenate(m)), 1e-12))))
        return bpps, psnrs

    def save_checkpoint() -> None:
        model.save_weights(ckpt / "tmp.weights.h5")
        with open(ckpt / "tmp-optimizer.npz", "wb") as fh:
            arrays = {f"v{i}": v.numpy() for i, v in enumerate(optimizer.variables)}
            arrays.update({f"p{i}": v.numpy() for i, v in enumerate(prior_optimizer.variables)})
            np.savez(fh, **arrays)
        (ckpt / "tmp-state.json").write_text(json.dumps(state))
        (ckpt / "tmp.weights.h5").replace(ckpt / "model.weights.h5")
        (ckpt / "tmp-optimizer.npz").replace(ckpt / "optimizer.npz")
        (ckpt / "tmp-state.json").replace(ckpt / "state.json")

    def export(val_result) -> None:
        summary = {
            "steps": state["step"],
            "hours": round(state["seconds"] / 3600, 3),
            "batch": args.batch,
            "patch": args.patch,
            "lr_schedule": state.get("lr_schedule", []),
            "val_bpp": [round(v, 4) for v in val_result[0]],
            "val_psnr": [round(v, 2) for v in val_result[1]],
        }
        target = args.export_to or run_dir / "export"
        model_id = args.model_id or store.MODEL_ID
        digest = store.export(model, target, summary, fitting_frames(train), model_id)
        print(f"exported step {state['step']} to {target} hash {digest[:12]}", flush=True)

    if args.export_only:
        if args.balanced_gains:
            model.reset_gains()
        export(validate())
        return 0
    state.setdefault("lr_schedule", []).append([state["step"], args.lr])
    start = time.time()
    started_at = state["seconds"]
    last_ckpt = last_export = time.time()
    losses: list[float] = []
    ema = np.array(state["ema"], np.float64)
    while state["step"] < args.steps:
        x = sampler.batch(args.batch)
        q = sampler.rng.integers(0, cfg.levels, size=args.batch)
        weight = np.where(ema[q] > 0, 1.0 / np.maximum(ema[q], 1e-6), 1e-3).astype(np.float32)
        step = train_step if state["step"] >= args.prior_warmup else prior_step
        per_image, _, _ = step(tf.constant(x), tf.constant(q, tf.int32), tf.constant(weight))
        per_image = per_image.numpy()
        for qi, value in zip(q, per_image, strict=True):
            if math.isfinite(value):
                ema[qi] = float(value) if ema[qi] == 0 else 0.99 * ema[qi] + 0.01 * float(value)
        losses.append(float(np.mean(per_image * weight)))
        state["step"] += 1
        state["ema"] = ema.tolist()
        state["seconds"] = started_at + time.time() - start
        done = state["step"] >= args.steps or (args.hours and state["seconds"] > args.hours * 3600)
        if state["step"] % args.log_every == 0 or done:
            bpps, psnrs = validate()
            row = [
                state["step"],
                round(state["seconds"] / 3600, 4),
                round(float(np.mean(losses)), 5),
            ]
            row += [round(b, 4) for b in bpps] + [round(p, 2) for p in psnrs]
            with open(log_path, "a") as fh:
                fh.write(",".join(str(v) for v in row) + "\n")
            print(
                f"step {state['step']} loss {np.mean(losses):.4f} bpp "
                + " ".join(f"{b:.3f}" for b in bpps)
                + " psnr "
                + " ".join(f"{p:.1f}" for p in psnrs),
                flush=True,
            )
            losses = []
            if done or time.time() - last_export > args.export_minutes * 60:
                export((bpps, psnrs))
                last_export = time.time()
        if done or time.time() - last_ckpt > args.checkpoint_minutes * 60:
            save_checkpoint()
            last_ckpt = time.time()
        if done:
            break
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
