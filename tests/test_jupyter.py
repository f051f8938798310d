"""The notebook opened as the README says (`.venv/bin/jupyter lab homework4.ipynb`): JupyterLab starts from this
environment, headless Chromium loads the notebook's page, and the FAST notebook's setup, problems 1 and 2 and its
metrics cell run top to bottom through the server's kernel, repeating every number of the papermill FAST run (same
machine, same numbers)."""
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

import hw4lib
from conftest import NOTEBOOK, ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TOKEN = uuid.uuid4().hex


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    jupyter = Path(sys.executable).parent / "jupyter"
    assert jupyter.is_file(), f"{jupyter}: JupyterLab is not installed in this environment (requirements.txt)"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path_factory.mktemp("jupyter") / "server.log", "w")
    proc = subprocess.Popen([str(jupyter), "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
                             f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={ROOT}"],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if get(f"{base}/api/status?token={TOKEN}")[0] == 200:
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail(f"JupyterLab did not start: {Path(log.name).read_text()[-2000:]}")
    yield base
    proc.terminate()
    proc.wait(timeout=30)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (test.sh installs it)")
def test_chromium_loads_the_notebook_page(server, tmp_path):
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=20000", "--dump-dom",
                          f"{server}/lab/tree/homework4.ipynb?token={TOKEN}"],
                         capture_output=True, text=True, timeout=180).stdout
    assert "jp-Notebook" in dom and "Problem 1: speaker verification" in dom, dom[-1500:]


def _request(ws, msg_type, content):
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({"header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex,
                                   "msg_type": msg_type, "version": "5.3"},
                        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [], "content": content}))
    return msg_id


def wait_until_ready(ws, seconds=60):
    """Ask for kernel_info until an answer comes on both channels (the shell's reply and an iopub status): from then
    on, what the kernel prints reaches this websocket (before it, iopub messages can be lost)."""
    import websocket
    ws.settimeout(1)
    deadline = time.time() + seconds
    try:
        while time.time() < deadline:
            msg_id, seen, until = _request(ws, "kernel_info_request", {}), set(), time.time() + 2
            while time.time() < until and not {"shell", "iopub"} <= seen:
                try:
                    msg = json.loads(ws.recv())
                except websocket.WebSocketTimeoutException:
                    continue
                if msg.get("parent_header", {}).get("msg_id") == msg_id:
                    seen.add(msg.get("channel"))
            if {"shell", "iopub"} <= seen:
                return
        raise AssertionError(f"the kernel did not answer on both channels within {seconds} s")
    finally:
        ws.settimeout(300)


def run_in_kernel(ws, code):
    """Execute `code` in the kernel behind the websocket; returns (status, printed text, error text)."""
    msg_id = _request(ws, "execute_request", {"code": code, "silent": False, "store_history": True,
                                              "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    printed, error, status, idle = [], "", None, False
    while status is None or not idle:   # the reply (shell) may come before the printed text (iopub): wait for both
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            error = "\n".join(msg["content"]["traceback"])
        elif msg["msg_type"] == "execute_reply":
            status = msg["content"]["status"]
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            idle = True
    return status, "".join(printed), error


def test_fast_run_through_the_servers_kernel_repeats_every_number(server, fast_run, tmp_path):
    import websocket                                   # websocket-client, which jupyter_server depends on
    request = urllib.request.Request(f"{server}/api/kernels?token={TOKEN}", method="POST",
                                     data=json.dumps({"name": "python3"}).encode())
    with urllib.request.urlopen(request, timeout=30) as r:
        kernel = json.loads(r.read())["id"]
    ws = websocket.create_connection(f"{server.replace('http', 'ws')}/api/kernels/{kernel}/channels?token={TOKEN}",
                                     timeout=300)
    try:
        wait_until_ready(ws)
        status, printed, _ = run_in_kernel(ws, "import os, sys; print(sys.executable); print(os.getcwd())")
        executable, cwd = printed.split()
        assert status == "ok" and Path(executable).parent == Path(sys.executable).parent and cwd == str(ROOT)
        params = dict(fast_run["params"], RESULTS_DIR=str(tmp_path))
        # problems 1 and 2 with the setup and the metrics cell: every kind of model the notebook trains but the GANs,
        # which the papermill run covers (the whole notebook twice would double the suite's time)
        cells = hw4lib.notebook_cells(NOTEBOOK, *("setup", "p1", "p2", "metrics"))
        for code in [cells[0], "\n".join(f"{k} = {v!r}" for k, v in params.items())] + cells[1:]:
            status, _, error = run_in_kernel(ws, code)
            assert status == "ok", f"{code[:200]}\n{error[-3000:]}"
    finally:
        ws.close()
    again, first = json.loads((tmp_path / "metrics.json").read_text()), fast_run["metrics"]
    assert "p1_librispeech_ensemble" in again and "p3_conditioning" not in again
    for part in ("p1_", "p2_"):
        ours, theirs = ({k: v for k, v in m.items() if k.startswith(part)} for m in (first, again))
        assert ours and ours == theirs, f"{part}: the second FAST run gave other numbers"
