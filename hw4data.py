"""Data for homework4.ipynb: stand-ins for the course's four files, and the MNIST loader.

The course's own `trs.pkl`, `tes.pkl`, `tr7.pkl` and `te7.pkl` are not public. This module
builds files of exactly the same format from public corpora:

* `trs.pkl` / `tes.pkl`: LibriSpeech test-clean (CC BY 4.0), 10 utterances per speaker,
  rows as `librosa.load(path, sr=16000)` returns them, each row starting where the speech
  starts and cut to a fixed length (16,180 training / 22,631 test samples).
* `tr7.pkl` / `te7.pkl`: every MNIST seven (CC BY-SA 3.0) in the original order, uint8, with
  an added effect whose per-image strength is written to `poor_sevens_truth.npz`.

Usage:  python hw4data.py [--sources DIR] [--out DIR]

A file in the output folder that this builder did not write (its hash is not the one recorded
in `manifest.json`) is a grader's own file: it is left untouched.
"""
import argparse
import csv
import gzip
import hashlib
import json
import os
import pickle
import struct
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCES = HERE.parent / "shared" / "datasets"
DEFAULT_OUT = HERE / "data"

SR = 16000
UTTS_PER_SPEAKER = 10
TRAIN_LEN = 16180          # samples per row of trs.pkl (as in the course's file)
TEST_LEN = 22631           # samples per row of tes.pkl
TRAIN_PER_SEX = 15         # 15 F + 15 M training speakers, the other 5 F + 5 M are test speakers
TRIM_TOP_DB = 20           # leading silence: frames more than 20 dB below the utterance's peak
SEED = 0

MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
PUBLIC_SOURCES = (
    "Get the public sources and pass their parent folder with --sources DIR:\n"
    "  librispeech-test-clean/: LibriSpeech test-clean, https://www.openslr.org/12 (CC BY 4.0),\n"
    "     laid out as <speaker_id>/<utt_id>.flac with speakers.csv and utterances.csv\n"
    "     (see ../shared/datasets/librispeech-test-clean/README.md);\n"
    "  mnist/: the four MNIST IDX .gz files from any MNIST mirror (md5 sums in hw4data.MNIST_FILES)."
)
OUTPUTS = ("trs.pkl", "tes.pkl", "tr7.pkl", "te7.pkl")


class DataError(RuntimeError):
    """A source file is missing or malformed; the message says which and what to do."""


# ----------------------------------------------------------------------------- MNIST
def md5sum(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_idx(path):
    """Parse one IDX file (gzipped or not) into a numpy array, checking its declared size."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot be read as an IDX file ({e}); download it again. "
                        + PUBLIC_SOURCES) from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path}: not an unsigned-byte IDX file (bad magic number); download it again.")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header; download it again.")
    dims = struct.unpack(">" + "I" * ndim, raw[4:header])
    expected = int(np.prod(dims))
    if len(raw) - header != expected:
        raise DataError(f"{path}: truncated or padded IDX file: header says {dims} = {expected} "
                        f"bytes of data, file holds {len(raw) - header}; download it again.")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims).copy()


def load_mnist(mnist_dir, split="train", verify=True):
    """MNIST `split` ('train' or 'test') -> (uint8 images N x 28 x 28, int64 labels N)."""
    mnist_dir = Path(mnist_dir)
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    prefix = "train" if split == "train" else "t10k"
    names = [f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"]
    for name in names:
        path = mnist_dir / name
        if not path.is_file():
            raise DataError(f"{path}: MNIST file not found. " + PUBLIC_SOURCES)
        if verify and md5sum(path) != MNIST_FILES[name]:
            raise DataError(f"{path}: md5 {md5sum(path)} does not match the published "
                            f"{MNIST_FILES[name]}; the file is damaged, download it again. "
                            + PUBLIC_SOURCES)
    images, labels = (read_idx(mnist_dir / n) for n in names)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != images.shape[:1]:
        raise DataError(f"{mnist_dir}: MNIST {split} images {images.shape} and labels "
                        f"{labels.shape} do not match (expected N x 28 x 28 and N).")
    return images, labels.astype(np.int64)


FRAME_WIDTH = 2           # pixels of the border that the added effect brightens


def add_frame(images, a):
    """The added effect: the FRAME_WIDTH-pixel border of image i brightened by round(255 a_i).

    The border pixels (all four sides) become clip(pixel + round(255 a_i), 0, 255); the rest of the
    image is unchanged, and a_i = 0 leaves the image as it was.
    """
    a = np.asarray(a, dtype=np.float64)
    if a.shape != images.shape[:1]:
        raise ValueError(f"one strength per image expected: {a.shape} for {images.shape[0]} images")
    border = np.ones(images.shape[1:], dtype=bool)
    border[FRAME_WIDTH:-FRAME_WIDTH, FRAME_WIDTH:-FRAME_WIDTH] = False
    add = np.rint(255.0 * a)[:, None, None] * border[None]
    return np.clip(images.astype(np.float64) + add, 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- speech
def read_speaker_table(ls_dir):
    ls_dir = Path(ls_dir)
    if not ls_dir.is_dir():
        raise DataError(f"{ls_dir}: LibriSpeech folder not found. " + PUBLIC_SOURCES)
    for name in ("speakers.csv", "utterances.csv"):
        if not (ls_dir / name).is_file():
            raise DataError(f"{ls_dir / name}: not found. " + PUBLIC_SOURCES)
    with open(ls_dir / "speakers.csv", newline="") as f:
        speakers = {row["speaker_id"]: row for row in csv.DictReader(f)}
    utts = {s: [] for s in speakers}
    with open(ls_dir / "utterances.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["speaker_id"] not in utts:
                raise DataError(f"{ls_dir / 'utterances.csv'}: speaker {row['speaker_id']} "
                                "is not in speakers.csv.")
            utts[row["speaker_id"]].append(row)
    for s in utts:
        utts[s].sort(key=lambda r: r["utt_id"])
    return speakers, utts


def speech_start(y):
    """Index of the first sample of speech: librosa's trim, leading side only."""
    import librosa
    _, (start, _) = librosa.effects.trim(y, top_db=TRIM_TOP_DB, frame_length=512, hop_length=128)
    return int(start)


def cut_utterance(y, length, path):
    """Row = `length` samples from where the speech starts; too short is an error, never padded."""
    start = speech_start(y)
    if len(y) - start < length:
        raise DataError(f"{path}: only {len(y) - start} samples after the leading silence, "
                        f"{length} needed; this utterance is too short (it is never padded).")
    return y[start:start + length]


def speaker_rows(ls_dir, speaker, utt_rows, length):
    """The first 10 usable utterances of one speaker (utterance-id order) -> 10 x length rows."""
    import librosa
    rows, meta, too_short = [], [], []
    for u in utt_rows:
        path = Path(ls_dir) / u["path"]
        if not path.is_file():
            raise DataError(f"{path}: listed in utterances.csv but missing. " + PUBLIC_SOURCES)
        y, _ = librosa.load(path, sr=SR)
        try:
            rows.append(cut_utterance(y, length, path))
        except DataError as e:
            too_short.append(str(e))
            continue
        meta.append(u["utt_id"])
        if len(rows) == UTTS_PER_SPEAKER:
            return np.stack(rows).astype(np.float32), meta
    raise DataError(f"speaker {speaker}: only {len(rows)} usable utterances of {length} samples "
                    f"after the leading silence, {UTTS_PER_SPEAKER} needed. Too short:\n  "
                    + "\n  ".join(too_short) + "\nUse a corpus with longer utterances per speaker.")


def speaker_key(s):
    """Sort 'ls61' before 'ls121': by the LibriSpeech number when there is one."""
    return (0, int(s[2:]), s) if s[2:].isdigit() else (1, 0, s)


def split_speakers(speakers, seed=SEED):
    """Seeded, sex-balanced split: TRAIN_PER_SEX speakers of each sex train, the rest test."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for sex in ("F", "M"):
        ids = sorted((s for s, r in speakers.items() if r["sex"] == sex), key=speaker_key)
        if len(ids) <= TRAIN_PER_SEX:
            raise DataError(f"need more than {TRAIN_PER_SEX} speakers of sex {sex}, found {len(ids)}.")
        order = rng.permutation(len(ids))
        train += [ids[i] for i in order[:TRAIN_PER_SEX]]
        test += [ids[i] for i in order[TRAIN_PER_SEX:]]
    return sorted(train, key=speaker_key), sorted(test, key=speaker_key)


# ----------------------------------------------------------------------------- build
def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def poor_sevens(mnist_dir, seed=SEED, effect=add_frame):
    """Yield (file name, uint8 sevens with the effect, strength per image) for tr7.pkl (MNIST's training
    sevens) and te7.pkl (its test sevens), strengths a ~ U(0, 1) drawn from `seed`.
    effect(images as float64 0..255, a) -> images; the result is rounded and clipped to 0..255."""
    rng = np.random.default_rng(seed + 7)
    for name, split in (("tr7.pkl", "train"), ("te7.pkl", "test")):
        images, labels = load_mnist(mnist_dir, split)
        sevens = images[labels == 7]
        a = rng.uniform(0.0, 1.0, size=len(sevens))
        yield name, np.clip(np.rint(effect(sevens.astype(np.float64), a)), 0, 255).astype(np.uint8), a


def dump_pickle(array, path):
    with open(path, "wb") as f:
        pickle.dump(array, f, protocol=4)


def build(sources=DEFAULT_SOURCES, out=DEFAULT_OUT, seed=SEED, log=print):
    """Build the four files (and their sidecars) into `out`; return the names written."""
    sources, out = Path(sources), Path(out)
    if not sources.is_dir():
        raise DataError(f"{sources}: source folder not found. " + PUBLIC_SOURCES)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    ours = manifest.get("files", {})

    def writable(name):
        path = out / name
        if path.exists() and ours.get(name) != sha256(path):
            log(f"{path}: not written by this builder (hash not in {manifest_path.name}); "
                "kept as the grader's own file, left untouched.")
            return False
        return True

    todo = [n for n in OUTPUTS if writable(n)]
    written, sidecar, truth = {}, {}, {}

    if {"trs.pkl", "tes.pkl"} & set(todo):
        ls_dir = sources / "librispeech-test-clean"
        speakers, utts = read_speaker_table(ls_dir)
        train_ids, test_ids = split_speakers(speakers, seed)
        for name, ids, length in (("trs.pkl", train_ids, TRAIN_LEN), ("tes.pkl", test_ids, TEST_LEN)):
            if name not in todo:
                continue
            blocks, rows_meta = [], []
            for s in ids:
                block, utt_ids = speaker_rows(ls_dir, s, utts[s], length)
                blocks.append(block)
                rows_meta += [{"speaker": s, "utterance": u, "sex": speakers[s]["sex"]} for u in utt_ids]
            dump_pickle(np.concatenate(blocks), out / name)
            written[name] = sha256(out / name)
            sidecar[name] = {"row_length": length, "speakers": ids, "rows": rows_meta}
            log(f"{out / name}: {len(ids) * UTTS_PER_SPEAKER} x {length} float32, {len(ids)} speakers")

    if {"tr7.pkl", "te7.pkl"} & set(todo):
        for name, poor, a in poor_sevens(sources / "mnist", seed):
            if name not in todo:
                continue
            dump_pickle(poor, out / name)
            written[name] = sha256(out / name)
            truth[name] = a
            log(f"{out / name}: {len(poor)} x 28 x 28 uint8 sevens with the added effect")

    if sidecar:
        old = json.loads((out / "speakers.json").read_text()) if (out / "speakers.json").is_file() else {}
        old.update(sidecar)
        (out / "speakers.json").write_text(json.dumps(old, indent=1) + "\n")
    if truth:
        # Each strength array is stored next to the hash of the file it describes.
        arrays = {}
        if (out / "poor_sevens_truth.npz").is_file():
            arrays = dict(np.load(out / "poor_sevens_truth.npz"))
        for name, a in truth.items():
            stem = name[:-4]
            arrays[f"{stem}_a"] = a
            arrays[f"{stem}_sha256"] = np.array(written[name])
        with open(out / "poor_sevens_truth.npz", "wb") as f:
            np.savez(f, **arrays)
    ours.update(written)
    manifest_path.write_text(json.dumps({"files": ours}, indent=1, sort_keys=True) + "\n")
    return sorted(written)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sources", default=os.environ.get("HW4_SOURCES", DEFAULT_SOURCES), type=Path,
                   help="folder holding librispeech-test-clean/ and mnist/ (default: ../shared/datasets)")
    p.add_argument("--out", default=DEFAULT_OUT, type=Path, help="output folder (default: data/)")
    p.add_argument("--seed", default=SEED, type=int)
    args = p.parse_args(argv)
    try:
        build(args.sources, args.out, args.seed)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
