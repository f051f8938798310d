"""The data builder: formats, the speaker split, the effect, determinism and bad input."""
import gzip
import json
import pickle
import shutil
import warnings

import numpy as np
import pytest

import hw4data
from hw4data import DataError


def load(folder, name):
    with open(folder / name, "rb") as f:
        return pickle.load(f)


def test_speech_shapes_and_blocks(built):
    trs, tes = load(built, "trs.pkl"), load(built, "tes.pkl")
    assert trs.shape == (300, 16180) and trs.dtype == np.float32
    assert tes.shape == (100, 22631) and tes.dtype == np.float32
    side = json.loads((built / "speakers.json").read_text())
    for name, n in (("trs.pkl", 30), ("tes.pkl", 10)):
        rows = side[name]["rows"]
        assert len(rows) == 10 * n
        for i in range(n):   # rows 10i..10i+9 are one speaker, ten different utterances
            block = rows[10 * i:10 * i + 10]
            assert {r["speaker"] for r in block} == {side[name]["speakers"][i]}
            assert len({r["utterance"] for r in block}) == 10


def test_split_is_disjoint_and_sex_balanced(built):
    side = json.loads((built / "speakers.json").read_text())
    train, test = set(side["trs.pkl"]["speakers"]), set(side["tes.pkl"]["speakers"])
    assert not train & test
    for name, per_sex in (("trs.pkl", 15), ("tes.pkl", 5)):
        sexes = [r["sex"] for r in side[name]["rows"][::10]]
        assert sexes.count("F") == per_sex and sexes.count("M") == per_sex


def test_commonvoice_test_set(built):
    """tes_cv.pkl: the test files' format, 19 speakers x 10 clips of the committed list, traced with languages."""
    X = load(built, "tes_cv.pkl")
    assert X.shape == (190, 22631) and X.dtype == np.float32 and np.isfinite(X).all()
    clips = hw4data.read_clip_list()
    side = json.loads((built / "speakers.json").read_text())["tes_cv.pkl"]
    assert side["row_length"] == 22631 == hw4data.ROW_LENGTH[hw4data.CV_FILE]
    assert [(r["speaker"], r["utterance"], r["sex"], r["language"]) for r in side["rows"]] == \
        [(c["speaker"], c["path"], c["sex"], c["language"]) for c in clips]
    assert len(side["speakers"]) == 19 and len(set(side["languages"])) == 16
    for i, (speaker, language) in enumerate(zip(side["speakers"], side["languages"])):
        block = side["rows"][10 * i:10 * i + 10]          # 10 consecutive rows: one speaker, one language
        assert {(r["speaker"], r["language"]) for r in block} == {(speaker, language)}
        assert len({r["utterance"] for r in block}) == 10
    assert len({r["utterance"] for r in side["rows"]}) == 190
    manifest = json.loads((built / "manifest.json").read_text())["files"]
    assert manifest["tes_cv.pkl"] == hw4data.sha256(built / "tes_cv.pkl")


def test_commonvoice_dev_set_shares_no_speaker_with_the_test_set(built):
    """dev_cv.pkl: the same format from its own committed list, 18 speakers of 15 languages, none of them (and no clip)
    in tes_cv.pkl: what is chosen on it never saw a test speaker."""
    X = load(built, "dev_cv.pkl")
    assert X.shape == (180, 22631) and X.dtype == np.float32 and np.isfinite(X).all()
    side = json.loads((built / "speakers.json").read_text())
    dev, test = side["dev_cv.pkl"], side["tes_cv.pkl"]
    assert [(r["speaker"], r["utterance"]) for r in dev["rows"]] == \
        [(c["speaker"], c["path"]) for c in hw4data.read_clip_list(hw4data.DEV_CLIP_LIST)]
    assert len(dev["speakers"]) == 18 and len(set(dev["languages"])) == 15
    for i, speaker in enumerate(dev["speakers"]):
        assert {r["speaker"] for r in dev["rows"][10 * i:10 * i + 10]} == {speaker}
    assert not set(dev["speakers"]) & set(test["speakers"])
    assert not {r["utterance"] for r in dev["rows"]} & {r["utterance"] for r in test["rows"]}
    assert not {bytes(x) for x in X} & {bytes(x) for x in load(built, "tes_cv.pkl")}    # no shared audio either
    manifest = json.loads((built / "manifest.json").read_text())["files"]
    assert manifest["dev_cv.pkl"] == hw4data.sha256(built / "dev_cv.pkl")


def test_commonvoice_rows_match_librosa_load(built, sources):
    """A row is librosa.load(path, sr=16000) of the MP3 from where the speech starts, decoded by soundfile (an
    audioread fallback would warn "PySoundFile failed"; here it is an error)."""
    import librosa
    rows = json.loads((built / "speakers.json").read_text())["tes_cv.pkl"]["rows"]
    X = load(built, "tes_cv.pkl")
    for i in (0, 97, 189):
        with warnings.catch_warnings():
            warnings.filterwarnings("error", "PySoundFile failed")
            y, _ = librosa.load(sources / "commonvoice-sample" / rows[i]["utterance"], sr=16000)
        start = hw4data.speech_start(y)
        assert np.array_equal(X[i], y[start:start + 22631]), i


def test_rows_start_on_speech(built):
    """The first 50 ms of every row carry speech-level energy, not leading silence."""
    for name in ("trs.pkl", "tes.pkl", "tes_cv.pkl", "dev_cv.pkl"):
        X = load(built, name)
        first = np.sqrt((X[:, :800] ** 2).mean(1))
        whole = np.sqrt((X ** 2).mean(1))
        assert (first > 0.05 * whole).all(), np.argmin(first / whole)


def test_rows_match_librosa_load(built, sources):
    import librosa
    side = json.loads((built / "speakers.json").read_text())
    r = side["tes.pkl"]["rows"][37]
    y, _ = librosa.load(sources / "librispeech-test-clean" / r["speaker"] / f"{r['utterance']}.flac", sr=16000)
    row = load(built, "tes.pkl")[37]
    start = hw4data.speech_start(y)
    assert np.array_equal(row, y[start:start + len(row)])


def test_sevens_and_effect(built, sources):
    images, labels = hw4data.load_mnist(sources / "mnist", "test")
    te7 = load(built, "te7.pkl")
    tr7 = load(built, "tr7.pkl")
    assert tr7.shape == (6265, 28, 28) and te7.shape == (1028, 28, 28)
    assert te7.dtype == np.uint8 and tr7.dtype == np.uint8
    truth = np.load(built / "poor_sevens_truth.npz")
    a = truth["te7_a"]
    assert a.shape == (1028,) and a.min() >= 0 and a.max() <= 1 and a.std() > 0.25   # U(0, 1)
    clean = images[labels == 7]
    assert np.array_equal(te7, hw4data.add_frame(clean, a))
    # the frame: the 2-pixel border brightened by round(255 a), clipped; the inside untouched
    w = hw4data.FRAME_WIDTH
    assert w == 2 and np.array_equal(te7[:, w:-w, w:-w], clean[:, w:-w, w:-w])
    expected = np.clip(clean.astype(int) + np.rint(255 * a)[:, None, None].astype(int), 0, 255)
    for border in (np.s_[:, :w, :], np.s_[:, -w:, :], np.s_[:, :, :w], np.s_[:, :, -w:]):
        assert np.array_equal(te7[border], expected[border])
    assert str(truth["te7_sha256"]) == hw4data.sha256(built / "te7.pkl")
    assert str(truth["tr7_sha256"]) == hw4data.sha256(built / "tr7.pkl")


def test_frame_by_hand():
    x = np.zeros((2, 28, 28), np.uint8)
    x[1, 0, 0] = 200                                  # a bright corner pixel that the frame clips at 255
    out = hw4data.add_frame(x, np.array([0.0, 0.5]))
    assert np.array_equal(out[0], x[0])               # a = 0 leaves the image unchanged
    assert out[1, 0, 0] == 255 and out[1, 1, 5] == 128 and out[1, 27, 27] == 128 and out[1, 2, 2] == 0
    assert (out[1] > 0).sum() == 28 * 28 - 24 * 24
    with pytest.raises(ValueError, match="one strength per image"):
        hw4data.add_frame(x, np.array([0.5]))


def test_deterministic(built, sources, tmp_path):
    hw4data.build(sources, tmp_path, log=lambda *a: None)
    for name in ("trs.pkl", "tes.pkl", "tr7.pkl", "te7.pkl", "tes_cv.pkl", "dev_cv.pkl", "speakers.json",
                 "manifest.json"):
        assert (tmp_path / name).read_bytes() == (built / name).read_bytes(), name


def test_graders_files_are_kept(built, sources, tmp_path):
    for name in ("manifest.json", "trs.pkl", "te7.pkl", "tes_cv.pkl"):
        shutil.copy(built / name, tmp_path / name)
    own = np.zeros((500, 16180), np.float32)          # the course's file, say
    with open(tmp_path / "trs.pkl", "wb") as f:
        pickle.dump(own, f)
    own_cv = np.ones((30, 22631), np.float32)         # someone's own second test set
    with open(tmp_path / "tes_cv.pkl", "wb") as f:
        pickle.dump(own_cv, f)
    messages = []
    written = hw4data.build(sources, tmp_path, log=messages.append)
    assert "trs.pkl" not in written and "tes_cv.pkl" not in written and "te7.pkl" in written
    assert np.array_equal(load(tmp_path, "trs.pkl"), own) and np.array_equal(load(tmp_path, "tes_cv.pkl"), own_cv)
    for name in ("trs.pkl", "tes_cv.pkl"):
        assert any(name in m and "left untouched" in m for m in messages), name
    assert "tes_cv.pkl" not in json.loads((tmp_path / "speakers.json").read_text())


def test_missing_sources(tmp_path):
    with pytest.raises(DataError, match="source folder not found.*--sources"):
        hw4data.build(tmp_path / "nowhere", tmp_path / "out")
    assert hw4data.main(["--sources", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2


def linked_sources(sources, tmp_path, commonvoice=True):
    """A copy of the sources (speaker folders as real folders of linked files; the listed Common Voice clips linked
    at their paths) that a test may damage."""
    src, dst = sources / "librispeech-test-clean", tmp_path / "librispeech-test-clean"
    for d in src.iterdir():
        if d.is_dir():
            (dst / d.name).mkdir(parents=True)
            for f in d.iterdir():
                (dst / d.name / f.name).symlink_to(f)
    (tmp_path / "mnist").symlink_to(sources / "mnist")
    for folder, clip_list in hw4data.CV_SETS.values() if commonvoice else ():
        for clip in hw4data.read_clip_list(clip_list):
            (tmp_path / folder / clip["path"]).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / folder / clip["path"]).symlink_to(sources / folder / clip["path"])
    spk, _, utt = hw4data.read_utterance_list()["tes.pkl"][3]
    return dst / f"ls{spk}" / f"{utt}.flac"


def test_sources_without_commonvoice(sources, tmp_path):
    linked_sources(sources, tmp_path, commonvoice=False)
    with pytest.raises(DataError, match=f"{tmp_path / 'commonvoice-sample'}: not found; tes_cv.pkl is built from "
                                        "the 190 Common Voice clips .*--download"):
        hw4data.build(tmp_path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("damage", ["missing", "other clip"])
def test_a_missing_or_damaged_clip_stops_the_build_before_it_writes(sources, tmp_path, damage):
    linked_sources(sources, tmp_path)
    clips = hw4data.read_clip_list()
    clip = tmp_path / "commonvoice-sample" / clips[42]["path"]
    clip.unlink()
    if damage == "missing":
        expected = f"{clip}: missing \\(expected md5 {clips[42]['md5']}\\)"
    else:                                         # another clip's bytes under this clip's name
        shutil.copy(sources / "commonvoice-sample" / clips[43]["path"], clip)
        expected = f"{clip}: md5 {clips[43]['md5']} does not match the listed {clips[42]['md5']}"
    with pytest.raises(DataError, match=f"(?s)1 of the 190 Common Voice clips .* missing or damaged:\n  {expected}\n"
                                        ".*--download"):
        hw4data.build(tmp_path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_listed_utterance_that_is_too_short(sources, tmp_path):
    import soundfile as sf
    flac = linked_sources(sources, tmp_path)
    flac.unlink()
    t = np.arange(8000) / 16000                                   # 0.5 s of sound in place of the utterance
    sf.write(flac, 0.3 * np.sin(2 * np.pi * 200 * t), 16000)
    with pytest.raises(DataError, match=f"{flac.name}: only .* samples after the leading silence, 22631 needed"):
        hw4data.build(tmp_path, tmp_path / "out")


def test_a_missing_utterance_stops_the_build_before_it_writes(sources, tmp_path):
    flac = linked_sources(sources, tmp_path)
    flac.unlink()
    with pytest.raises(DataError, match=f"1 listed utterances are missing, e.g. .*{flac.name}"):
        hw4data.build(tmp_path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_md5_mismatch(sources, tmp_path):
    mnist = tmp_path / "mnist"
    mnist.mkdir()
    for name in hw4data.MNIST_FILES:
        (mnist / name).symlink_to(sources / "mnist" / name)
    (mnist / "t10k-labels-idx1-ubyte.gz").unlink()
    raw = gzip.decompress((sources / "mnist" / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (mnist / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(raw[:-1] + b"\x03"))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz: md5 .* does not match"):
        hw4data.load_mnist(mnist, "test")


def test_truncated_idx(sources, tmp_path):
    raw = gzip.decompress((sources / "mnist" / "t10k-images-idx3-ubyte.gz").read_bytes())
    (tmp_path / "cut.gz").write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(DataError, match=r"truncated or padded IDX file: header says \(10000, 28, 28\)"):
        hw4data.read_idx(tmp_path / "cut.gz")
    (tmp_path / "broken.gz").write_bytes((sources / "mnist" / "t10k-images-idx3-ubyte.gz").read_bytes()[:5000])
    with pytest.raises(DataError, match="cannot be read as an IDX file"):
        hw4data.read_idx(tmp_path / "broken.gz")


def test_mnist_loader(sources):
    x, y = hw4data.load_mnist(sources / "mnist", "test")
    assert x.shape == (10000, 28, 28) and x.dtype == np.uint8 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
