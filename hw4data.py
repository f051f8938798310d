"""Data for homework4.ipynb: stand-ins for the course's four files, a second test set, and the MNIST loader.

The course's own `trs.pkl`, `tes.pkl`, `tr7.pkl` and `te7.pkl` are not public. This module
builds files of exactly the same format from public corpora:

* `trs.pkl` / `tes.pkl`: LibriSpeech test-clean (CC BY 4.0), 10 utterances per speaker,
  rows as `librosa.load(path, sr=16000)` returns them, each row starting where the speech
  starts and cut to a fixed length (16,180 training / 22,631 test samples).
* `tes_cv.pkl`: test speech of another kind in the format of `tes.pkl` (22,631 samples a row,
  10 consecutive rows per speaker): 19 speakers x 10 clips of Mozilla Common Voice 6.1 (CC0),
  16 languages, read into the speakers' own microphones (the shared sample's 20 speakers but one,
  who has only 8 clips long enough), the original MP3 files decoded by soundfile (libsndfile with
  mpg123; never audioread) and cut exactly as the LibriSpeech rows.
* `dev_cv.pkl`: the same from 18 other Common Voice speakers (15 languages, none in `tes_cv.pkl`), for choosing
  what holds up on other microphones; no reported number reads it.
* `tr7.pkl` / `te7.pkl`: every MNIST seven (CC BY-SA 3.0) in the original order, uint8, with
  an added effect whose per-image strength is written to `poor_sevens_truth.npz`.

The speech comes from LibriSpeech test-clean in either of two layouts under the sources folder:
`LibriSpeech/` (the OpenSLR archive test-clean.tar.gz, extracted as it ships) or
`librispeech-test-clean/ls<speaker>/<utterance>.flac` (this project's shared copy). Which
utterances go where is fixed by the committed list `data/librispeech_utterances.csv`, so both
layouts give byte-identical files. The Common Voice clips are read from
`commonvoice-sample/<language>/clips/<clip>.mp3` (the layout of the public repository
omnilingo/rsample-100-cv-corpus-6.1-2020-12-11 and of this project's shared copy); which ones, in
which order, and their md5 sums are fixed by the committed list `data/commonvoice_clips.csv`; those of
`dev_cv.pkl` are read from `commonvoice-dev/` (the same layout) by `data/commonvoice_dev_clips.csv`.
MNIST is read from `mnist/` (the four IDX .gz files). Every source file is checked (present, md5
where one is published or listed) before anything is written; `data/speakers.json` traces every
speech row to its speaker, utterance or clip, sex (and language), `data/manifest.json` holds the
sha256 of every file written.

Usage:  python hw4data.py [--sources DIR] [--out DIR]
        python hw4data.py --download [--out DIR]   (fetch into the cache folder, then build; only the
                                                    listed Common Voice clips are fetched)

A file in the output folder that this builder did not write (its hash is not the one recorded
in `manifest.json`) is a grader's own file: it is left untouched.
"""
import argparse
import csv
import gzip
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
ROW_LENGTH = {"trs.pkl": 16180, "tes.pkl": 22631,  # samples per row (as in the course's files)
              "tes_cv.pkl": 22631, "dev_cv.pkl": 22631}   # the Common Voice sets: the test files' length
TRIM_TOP_DB = 20           # leading silence: frames more than 20 dB below the utterance's peak
SEED = 0
UTTERANCE_LIST = HERE / "data" / "librispeech_utterances.csv"
LIBRISPEECH_OUTPUTS = ("trs.pkl", "tes.pkl")
CV_FILE = "tes_cv.pkl"     # the Common Voice test set; its rows are traced in speakers.json under this key
CV_DIR = "commonvoice-sample"                       # below the sources folder (and the download cache)
CV_CLIP_LIST = HERE / "data" / "commonvoice_clips.csv"
DEV_FILE, DEV_DIR = "dev_cv.pkl", "commonvoice-dev"   # Common Voice speakers for choosing, never for reporting
DEV_CLIP_LIST = HERE / "data" / "commonvoice_dev_clips.csv"
CV_SETS = {CV_FILE: (CV_DIR, CV_CLIP_LIST), DEV_FILE: (DEV_DIR, DEV_CLIP_LIST)}   # file -> (folder, committed list)
CV_REPOSITORY = "omnilingo/rsample-100-cv-corpus-6.1-2020-12-11"
CV_COMMIT = "6785f863fec9770151abfe50a5e3e3787fd20ba2"

MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
# Where --download fetches from (each can be overridden, e.g. for a local mirror): OpenSLR resource 12 and the
# MNIST mirror that torchvision uses; the md5 sums are the ones both publish.
LIBRISPEECH_URL = os.environ.get("HW4_LIBRISPEECH_URL", "https://www.openslr.org/resources/12/")
LIBRISPEECH_ARCHIVE = ("test-clean.tar.gz", "32fa31d27d2e1cad72775fee3f4849a9")     # about 346 MB
MNIST_URL = os.environ.get("HW4_MNIST_URL", "https://ossci-datasets.s3.amazonaws.com/mnist/")
# The Common Voice clips, at their paths (<language>/clips/<clip>.mp3) in the public repository at a fixed commit;
# their md5 sums are in CV_CLIP_LIST.
COMMONVOICE_URL = os.environ.get("HW4_COMMONVOICE_URL",
                                 f"https://raw.githubusercontent.com/{CV_REPOSITORY}/{CV_COMMIT}/")
PUBLIC_SOURCES = (
    "Get the public sources with `python hw4data.py --download`, or pass their parent folder with --sources DIR:\n"
    "  LibriSpeech/: LibriSpeech test-clean as OpenSLR ships it (test-clean.tar.gz from\n"
    "     https://www.openslr.org/12, CC BY 4.0, extracted in DIR), or librispeech-test-clean/ laid out as\n"
    "     ls<speaker>/<utterance>.flac;\n"
    "  mnist/: the four MNIST IDX .gz files from any MNIST mirror (md5 sums in hw4data.MNIST_FILES);\n"
    "  commonvoice-sample/: the Common Voice clips listed in data/commonvoice_clips.csv, at their paths\n"
    f"     <language>/clips/<clip>.mp3 as in https://github.com/{CV_REPOSITORY} (commit {CV_COMMIT[:12]},\n"
    "     CC0; ../shared/datasets/commonvoice-sample is such a copy);\n"
    "  commonvoice-dev/: likewise the clips listed in data/commonvoice_dev_clips.csv (../shared/datasets/commonvoice-dev)."
)
OUTPUTS = ("trs.pkl", "tes.pkl", "tr7.pkl", "te7.pkl", CV_FILE, DEV_FILE)


class DataError(RuntimeError):
    """A source file is missing or malformed; the message says which and what to do."""


# ----------------------------------------------------------------------------- MNIST
def md5sum(path):
    import pooch
    return pooch.file_hash(str(path), alg="md5")


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


def mnist_names(split):
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    prefix = "train" if split == "train" else "t10k"
    return [f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"]


def verify_mnist_file(path):
    """The MNIST file at `path` exists and has its published md5."""
    if not path.is_file():
        raise DataError(f"{path}: MNIST file not found. " + PUBLIC_SOURCES)
    md5 = md5sum(path)
    if md5 != MNIST_FILES[path.name]:
        raise DataError(f"{path}: md5 {md5} does not match the published "
                        f"{MNIST_FILES[path.name]}; the file is damaged, download it again. " + PUBLIC_SOURCES)


def load_mnist(mnist_dir, split="train"):
    """MNIST `split` ('train' or 'test') -> (uint8 images N x 28 x 28, int64 labels N), md5-checked."""
    mnist_dir = Path(mnist_dir)
    names = mnist_names(split)
    for name in names:
        verify_mnist_file(mnist_dir / name)
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
def read_utterance_list(path=UTTERANCE_LIST):
    """The committed list: output file -> [(speaker number, sex, utterance id), ...] in row order."""
    rows = {name: [] for name in LIBRISPEECH_OUTPUTS}
    with open(path, newline="") as f:
        for row in csv.DictReader(line for line in f if not line.startswith("#")):
            rows[row["file"]].append((row["speaker"], row["sex"], row["utterance"]))
    for name, utts in rows.items():
        if not utts or len(utts) % UTTS_PER_SPEAKER:
            raise DataError(f"{path}: {len(utts)} utterances for {name}, not a positive multiple of "
                            f"{UTTS_PER_SPEAKER}; restore the file from the repository.")
    return rows


def openslr_path(utt):
    """Where utterance `utt` (<speaker>-<chapter>-<n>) lies in OpenSLR's layout, below LibriSpeech/."""
    speaker, chapter, _ = utt.split("-")
    return f"test-clean/{speaker}/{chapter}/{utt}.flac"


def librispeech_files(sources):
    """utterance id -> FLAC path, for whichever LibriSpeech layout `sources` holds."""
    sources = Path(sources)
    openslr, shared = sources / "LibriSpeech", sources / "librispeech-test-clean"
    if (openslr / "test-clean").is_dir():
        return lambda utt: openslr / openslr_path(utt)
    if shared.is_dir():
        return lambda utt: shared / f"ls{utt.split('-')[0]}" / f"{utt}.flac"
    raise DataError(f"{sources}: holds neither LibriSpeech/test-clean/ nor librispeech-test-clean/. "
                    + PUBLIC_SOURCES)


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
                        f"{length} needed; this is not the utterance the list names (it is never padded).")
    return y[start:start + length]


def load_audio(path):
    """librosa.load(path, sr=SR)'s samples, decoded by soundfile only. librosa.load given a path falls back to
    audioread (ffmpeg, which may be missing or differ between machines) when soundfile fails; given the open
    soundfile.SoundFile it decodes the same samples and cannot fall back, so a file soundfile cannot read is an
    error that names it."""
    import librosa
    import soundfile as sf
    try:
        with sf.SoundFile(path) as f:
            return librosa.load(f, sr=SR)[0]
    except sf.SoundFileError as e:
        raise DataError(f"{path}: soundfile {sf.__version__} (libsndfile {sf.__libsndfile_version__}) cannot "
                        f"decode it ({e}); install the pinned requirements.txt (soundfile 0.14.0, whose libsndfile "
                        "reads FLAC and MP3), or fetch the file again.") from e


def speech_rows(paths, length):
    """One row per file: librosa.load at SR from where the speech starts, `length` samples."""
    return np.stack([cut_utterance(load_audio(p), length, p) for p in paths]).astype(np.float32)


def read_clip_list(path=CV_CLIP_LIST):
    """A committed clip list (of tes_cv.pkl by default): [{speaker, sex, language, path, md5}, ...] in row order."""
    with open(path, newline="") as f:
        clips = list(csv.DictReader(line for line in f if not line.startswith("#")))
    speakers = [c["speaker"] for c in clips]
    blocks = [speakers[i:i + UTTS_PER_SPEAKER] for i in range(0, len(speakers), UTTS_PER_SPEAKER)]
    if not clips or len(clips) % UTTS_PER_SPEAKER or any(len(set(b)) != 1 for b in blocks) \
            or len({b[0] for b in blocks}) != len(blocks):
        raise DataError(f"{path}: {len(clips)} clips, not {UTTS_PER_SPEAKER} consecutive ones per speaker; "
                        "restore the file from the repository.")
    return clips


def cv_howto(name):
    return ("Fetch the listed clips with `python hw4data.py --download` (only those, about 7 MB a list, into the cache "
            f"folder), or copy them into DIR/{CV_SETS[name][0]}/ at their paths (<language>/clips/<clip>.mp3) from "
            f"https://github.com/{CV_REPOSITORY} (commit {CV_COMMIT}) and pass --sources DIR.")


def check_clips(sources, clips, name=CV_FILE):
    """Every clip of the list is in the folder of `name` (sources/commonvoice-sample/ for tes_cv.pkl) with its listed
    md5, and soundfile reads MP3."""
    import soundfile as sf
    folder_name, clip_list = CV_SETS[name]
    folder = Path(sources) / folder_name
    if not folder.is_dir():
        raise DataError(f"{folder}: not found; {name} is built from the {len(clips)} Common Voice clips listed "
                        f"in {clip_list.relative_to(HERE)}. " + cv_howto(name))
    bad = []
    for clip in clips:
        path = folder / clip["path"]
        if not path.is_file():
            bad.append(f"{path}: missing (expected md5 {clip['md5']})")
        elif (md5 := md5sum(path)) != clip["md5"]:
            bad.append(f"{path}: md5 {md5} does not match the listed {clip['md5']}")
    if bad:
        more = f"\n  ... and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise DataError(f"{len(bad)} of the {len(clips)} Common Voice clips listed in {clip_list.name} are "
                        "missing or damaged:\n  " + "\n  ".join(bad[:5]) + more + "\n" + cv_howto(name))
    if "MP3" not in sf.available_formats():
        raise DataError(f"soundfile {sf.__version__} (libsndfile {sf.__libsndfile_version__}) cannot decode MP3, "
                        f"needed for {name}; install the pinned requirements.txt (soundfile 0.14.0).")
    return folder


def check_sources(sources, utterance_list, clips):
    """Every listed FLAC, every MNIST file and every listed Common Voice clip is there (MNIST and the clips
    md5-checked): nothing is written before. clips: file name -> its clip list; returns their folders likewise."""
    flac_of = librispeech_files(sources)
    missing = [str(flac_of(u)) for utts in utterance_list.values() for _, _, u in utts if not flac_of(u).is_file()]
    if missing:
        raise DataError(f"{len(missing)} listed utterances are missing, e.g. {missing[:3]}. " + PUBLIC_SOURCES)
    for split in ("train", "test"):
        for name in mnist_names(split):
            verify_mnist_file(Path(sources) / "mnist" / name)
    return flac_of, {name: check_clips(sources, c, name) for name, c in clips.items()}


# ----------------------------------------------------------------------------- build
def sha256(path):
    import pooch
    return pooch.file_hash(str(path), alg="sha256")


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
    """Build the six files (and their sidecars) into `out`; return the names written."""
    sources, out = Path(sources), Path(out)
    if not sources.is_dir():
        raise DataError(f"{sources}: source folder not found. " + PUBLIC_SOURCES)
    utterance_list = read_utterance_list()
    clips_of = {name: read_clip_list(clip_list) for name, (_, clip_list) in CV_SETS.items()}
    flac_of, cv_folders = check_sources(sources, utterance_list, clips_of)
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

    for name in LIBRISPEECH_OUTPUTS:
        if name not in todo:
            continue
        utts, length = utterance_list[name], ROW_LENGTH[name]
        dump_pickle(speech_rows([flac_of(u) for _, _, u in utts], length), out / name)
        written[name] = sha256(out / name)
        speakers = list(dict.fromkeys(f"ls{spk}" for spk, _, _ in utts))
        sidecar[name] = {"row_length": length, "speakers": speakers,
                         "rows": [{"speaker": f"ls{spk}", "utterance": u, "sex": sex} for spk, sex, u in utts]}
        log(f"{out / name}: {len(utts)} x {length} float32, {len(speakers)} speakers")

    for name, clips in clips_of.items():
        if name not in todo:
            continue
        length = ROW_LENGTH[name]
        dump_pickle(speech_rows([cv_folders[name] / c["path"] for c in clips], length), out / name)
        written[name] = sha256(out / name)
        speakers = list(dict.fromkeys(c["speaker"] for c in clips))
        languages = [c["language"] for c in clips[::UTTS_PER_SPEAKER]]
        sidecar[name] = {"row_length": length, "speakers": speakers, "languages": languages,
                         "source": f"Mozilla Common Voice 6.1 (CC0 1.0), via {CV_REPOSITORY} at {CV_COMMIT}",
                         "rows": [{"speaker": c["speaker"], "utterance": c["path"], "sex": c["sex"],
                                   "language": c["language"]} for c in clips]}
        log(f"{out / name}: {len(clips)} x {length} float32, {len(speakers)} speakers, "
            f"{len(set(languages))} languages (Common Voice)")

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


# ----------------------------------------------------------------------------- download
def cache_dir():
    """Where --download keeps what it fetched: $HW4_CACHE, else the user's cache folder (e.g. ~/.cache/hw4)."""
    import pooch
    return Path(os.environ.get("HW4_CACHE") or pooch.os_cache("hw4"))


def download(cache=None, librispeech_url=LIBRISPEECH_URL, mnist_url=MNIST_URL, commonvoice_url=COMMONVOICE_URL,
             md5=None, log=print):
    """Fetch into `cache` what is missing there: LibriSpeech's test-clean.tar.gz (only the listed FLAC files and
    SPEAKERS.TXT are extracted, into cache/LibriSpeech/), the four MNIST files (cache/mnist/) and the Common Voice
    clips of data/commonvoice_clips.csv and data/commonvoice_dev_clips.csv, only those (cache/commonvoice-sample/ and
    cache/commonvoice-dev/, at <language>/clips/<clip>.mp3; all from one repository, `commonvoice_url`), each
    checked against its md5 (`md5` overrides the published or listed sums by file name). pooch downloads to a
    temporary file and keeps it only when the hash matches, so a failed or interrupted download leaves nothing in
    place of a good file, and a second call downloads nothing. The clips come from one server: after the first
    clip that fails, the others are not tried. Returns `cache`, a sources folder for build()."""
    import pooch
    cache = Path(cache or cache_dir())
    clips = [(folder, c) for folder, clip_list in CV_SETS.values() for c in read_clip_list(clip_list)]
    md5 = {**dict([LIBRISPEECH_ARCHIVE]), **MNIST_FILES, **{Path(c["path"]).name: c["md5"] for _, c in clips},
           **(md5 or {})}
    archive = LIBRISPEECH_ARCHIVE[0]
    members = ["LibriSpeech/SPEAKERS.TXT"] + [f"LibriSpeech/{openslr_path(u)}"
                                              for utts in read_utterance_list().values() for _, _, u in utts]
    jobs = [(librispeech_url + archive, archive, cache, pooch.Untar(members=members, extract_dir="."), False)]
    jobs += [(mnist_url + name, name, cache / "mnist", None, False) for name in MNIST_FILES]
    jobs += [(commonvoice_url + c["path"], Path(c["path"]).name, cache / folder / Path(c["path"]).parent, None, True)
             for folder, c in clips]
    downloader = pooch.HTTPDownloader(progressbar=sys.stderr.isatty(), timeout=(10, 120))
    failed, clip_failed = [], 0
    for url, name, folder, processor, is_clip in jobs:
        if is_clip and clip_failed:
            clip_failed += 1
            continue
        try:
            pooch.retrieve(url, known_hash=f"md5:{md5[name]}", fname=name, path=folder, processor=processor,
                           downloader=downloader)
        except ValueError as e:
            raise DataError(f"{url}: the download does not have the {'listed' if is_clip else 'published'} md5 "
                            f"{md5[name]}; it was removed and nothing was kept ({e}). Try again later, or download "
                            f"the file into {folder} yourself and check its md5.") from e
        except Exception as e:                                   # no network, a refused connection, HTTP errors
            failed.append(f"{url} ({type(e).__name__})")
            clip_failed += is_clip
    if clip_failed > 1:
        failed.append(f"and {clip_failed - 1} more listed Common Voice clips under {commonvoice_url} (not tried)")
    if failed:
        raise DataError("could not download:\n  " + "\n  ".join(failed) + f"\nCache folder: {cache}. Without a "
                        f"network, put those files there yourself (the archive in {cache}, the MNIST files in "
                        f"{cache / 'mnist'}, the clips of {CV_CLIP_LIST.name} and {DEV_CLIP_LIST.name} at their paths "
                        f"in {cache / CV_DIR} and {cache / DEV_DIR}) and run `python hw4data.py --download` again, or "
                        "pass local copies with --sources DIR (DIR/LibriSpeech/ or DIR/librispeech-test-clean/, "
                        f"DIR/mnist/, DIR/{CV_DIR}/ and DIR/{DEV_DIR}/).")
    log(f"sources ready in {cache}")
    return cache


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sources", default=os.environ.get("HW4_SOURCES", DEFAULT_SOURCES), type=Path,
                   help="folder holding LibriSpeech/ or librispeech-test-clean/, mnist/, commonvoice-sample/ and "
                        "commonvoice-dev/ "
                        "(default: ../shared/datasets)")
    p.add_argument("--download", action="store_true",
                   help="fetch the sources into the cache folder ($HW4_CACHE, else the user's cache) and build from there")
    p.add_argument("--librispeech-url", default=LIBRISPEECH_URL, help="base URL of test-clean.tar.gz")
    p.add_argument("--mnist-url", default=MNIST_URL, help="base URL of the four MNIST files")
    p.add_argument("--commonvoice-url", default=COMMONVOICE_URL,
                   help="base URL of the listed Common Voice clips, at their paths <language>/clips/<clip>.mp3")
    p.add_argument("--out", default=DEFAULT_OUT, type=Path, help="output folder (default: data/)")
    p.add_argument("--seed", default=SEED, type=int, help="seed of the sevens' effect strengths")
    args = p.parse_args(argv)
    try:
        sources = download(librispeech_url=args.librispeech_url, mnist_url=args.mnist_url,
                           commonvoice_url=args.commonvoice_url) if args.download else args.sources
        build(sources, args.out, args.seed)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
