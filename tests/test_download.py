"""hw4data --download against a local mirror that serves LibriSpeech's own archive layout (made from ../shared),
the MNIST files and the listed Common Voice clips at their repository paths: download, verification, extraction,
identical stand-ins, a second run offline, and the wrong-hash and no-network errors."""
import csv
import functools
import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time

import pytest

import hw4data
from conftest import ROOT

CLOSED = "http://127.0.0.1:9/"          # nothing listens there: a refused connection, as without a network


@pytest.fixture(scope="module")
def mirror(sources, tmp_path_factory):
    """test-clean.tar.gz in OpenSLR's layout (LibriSpeech/SPEAKERS.TXT, LibriSpeech/test-clean/<speaker>/<chapter>/
    <utterance>.flac) with the listed utterances, mnist/, and commonvoice/<language>/clips/<clip>.mp3 (the
    listed clips, as the Common Voice repository lays them out), served on localhost. Yields (base URL, archive
    md5)."""
    root = tmp_path_factory.mktemp("mirror")
    shared = sources / "librispeech-test-clean"
    with open(shared / "speakers.csv", newline="") as f:
        speakers = [f"{r['orig_speaker']:<5}| {r['sex']} | test-clean       | 8.00 | reader {r['orig_speaker']}"
                    for r in csv.DictReader(f)]
    (root / "SPEAKERS.TXT").write_text(";ID  |SEX| SUBSET           |MINUTES| NAME\n" + "\n".join(speakers) + "\n")
    with tarfile.open(root / "test-clean.tar.gz", "w:gz", compresslevel=1) as tar:
        tar.add(root / "SPEAKERS.TXT", arcname="LibriSpeech/SPEAKERS.TXT")
        for utts in hw4data.read_utterance_list().values():
            for spk, _, utt in utts:
                tar.add(shared / f"ls{spk}" / f"{utt}.flac",
                        arcname=f"LibriSpeech/test-clean/{spk}/{utt.split('-')[1]}/{utt}.flac")
    shutil.copytree(sources / "mnist", root / "mnist")
    for folder, clip_list in hw4data.CV_SETS.values():     # one repository: both lists' clips under one base URL
        for clip in hw4data.read_clip_list(clip_list):
            (root / "commonvoice" / clip["path"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(sources / folder / clip["path"], root / "commonvoice" / clip["path"])
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/", hashlib.md5((root / "test-clean.tar.gz").read_bytes()).hexdigest()
    server.shutdown()


def test_download_verify_extract_and_identical_stand_ins(mirror, built, tmp_path):
    url, md5 = mirror
    cache = hw4data.download(tmp_path / "cache", url, url + "mnist/", url + "commonvoice/",
                             md5={"test-clean.tar.gz": md5}, log=print)
    flacs = list((cache / "LibriSpeech" / "test-clean").rglob("*.flac"))
    assert len(flacs) == 400 and (cache / "LibriSpeech" / "SPEAKERS.TXT").is_file()
    for folder, clip_list in hw4data.CV_SETS.values():
        clips = sorted(p.relative_to(cache / folder).as_posix() for p in (cache / folder).rglob("*") if p.is_file())
        assert clips == sorted(c["path"] for c in hw4data.read_clip_list(clip_list)), folder   # only the listed
    hw4data.build(cache, tmp_path / "out", log=lambda *a: None)
    for name in ("trs.pkl", "tes.pkl", "tr7.pkl", "te7.pkl", "tes_cv.pkl", "dev_cv.pkl", "speakers.json",
                 "manifest.json"):
        assert (tmp_path / "out" / name).read_bytes() == (built / name).read_bytes(), name
    # a second run finds everything in the cache and asks no server
    assert hw4data.download(cache, CLOSED, CLOSED, CLOSED, md5={"test-clean.tar.gz": md5}, log=print) == cache


def test_a_wrong_hash_keeps_nothing(mirror, tmp_path):
    url, _ = mirror
    with pytest.raises(hw4data.DataError, match="test-clean.tar.gz: the download does not have the published md5"):
        hw4data.download(tmp_path / "cache", url, url + "mnist/", url + "commonvoice/",
                         md5={"test-clean.tar.gz": "0" * 32})
    assert not list((tmp_path / "cache").glob("test-clean*")) and not (tmp_path / "cache" / "LibriSpeech").exists()


def test_a_wrong_clip_hash_keeps_nothing(mirror, tmp_path):
    """A clip whose download does not have its listed md5 stops the download and is not kept (LibriSpeech and MNIST
    are unreachable here: their failures are listed after, the wrong hash stops at once)."""
    url, _ = mirror
    clips = hw4data.read_clip_list()
    name = clips[5]["path"].split("/")[-1]
    with pytest.raises(hw4data.DataError, match=f"{url}commonvoice/{clips[5]['path']}: the download does "
                                                "not have the listed md5 0{32}; it was removed"):
        hw4data.download(tmp_path / "cache", CLOSED, CLOSED, url + "commonvoice/", md5={name: "0" * 32})
    kept = sorted(p.name for p in (tmp_path / "cache" / "commonvoice-sample").rglob("*") if p.is_file())
    assert kept == sorted(c["path"].split("/")[-1] for c in clips[:5])       # the five before it, verified


def test_no_network_fails_fast_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("the grader's")
    t0 = time.time()
    r = subprocess.run([sys.executable, str(ROOT / "hw4data.py"), "--download", "--librispeech-url", CLOSED,
                        "--mnist-url", CLOSED, "--commonvoice-url", CLOSED, "--out", str(out)], capture_output=True,
                       text=True, timeout=60, env=dict(os.environ, HW4_CACHE=str(tmp_path / "cache")))
    assert r.returncode == 2 and time.time() - t0 < 30
    for name in ["test-clean.tar.gz", *hw4data.MNIST_FILES, hw4data.read_clip_list()[0]["path"]]:
        assert CLOSED + name in r.stderr, name
    assert f"and 369 more listed Common Voice clips under {CLOSED} (not tried)" in r.stderr   # 190 + 180, one tried
    assert f"Cache folder: {tmp_path / 'cache'}" in r.stderr and "--sources DIR" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_run_sh_without_sources_tries_the_download_and_stops_cleanly(tmp_path):
    """./run.sh with no corpora where it looks, and no network: the download fails within seconds, data/ and the
    notebook are left as they were."""
    before = {p: p.stat().st_mtime for p in [ROOT / "homework4.ipynb", *sorted((ROOT / "data").glob("*"))]}
    t0 = time.time()
    r = subprocess.run(["bash", str(ROOT / "run.sh"), "--sources", str(tmp_path / "nowhere")], capture_output=True,
                       text=True, timeout=120, env=dict(os.environ, HW4_CACHE=str(tmp_path / "cache"),
                                                       HW4_LIBRISPEECH_URL=CLOSED, HW4_MNIST_URL=CLOSED,
                                                       HW4_COMMONVOICE_URL=CLOSED))
    assert r.returncode != 0 and time.time() - t0 < 60
    assert "downloading the public sources" in r.stdout and "could not download" in r.stderr
    assert before == {p: p.stat().st_mtime for p in before}
