"""What homework4.ipynb needs but does not teach: the machine set-up, timing and progress lines,
input checks with clear errors, MNIST as tensors, image grids and training curves, the digit classifier that
scores the GANs of problems 3 and 4, the equal error rate, the Frechet distance, a stray-speck counter, the 95 %
intervals of every comparison, and the notebook's definitions by tag (for the tests and experiments/). Every
function takes what it uses as arguments.
"""
import json
import math
import os
import pickle
import platform
import random
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

# The same seed gives the same numbers only if the same kernels run. PyTorch, oneDNN and MKL each pick their
# kernels by the CPU's instruction set at run time, so an AVX-512 machine and an AVX2 machine round differently
# (measured on an AVX-512 machine, same code and seed: the digit classifier's test accuracy is 0.9891 with the
# default kernels and 0.9900 with the settings below). Every x86 machine of the last decade has AVX2: PyTorch's
# own kernels and oneDNN's are capped there. MKL cannot be capped on non-Intel CPUs short of its SSE2 path (37 %
# slower per GAN step); STRICT asks it for deterministic reductions and a static schedule. These are read when the
# libraries start, hence set here, before torch is imported; an explicit setting in the environment wins.
# On a GPU, cuBLAS is deterministic only with a fixed workspace, also read when the library starts.
CPU_KERNELS = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_CBWR": "AUTO,STRICT"}
CUDA_DETERMINISM = {"CUBLAS_WORKSPACE_CONFIG": ":4096:8"}
if "torch" in sys.modules:
    warnings.warn("hw4lib was imported after torch: the CPU kernels are not pinned (CPU_KERNELS), so numbers may "
                  "differ from the committed run's; import hw4lib first.", stacklevel=2)
else:
    for _name, _value in {**CPU_KERNELS, **CUDA_DETERMINISM}.items():
        os.environ.setdefault(_name, _value)

# pooch (hw4data's hashing, librosa's example data) imports tqdm.auto, which warns that no notebook widget can be drawn
# without ipywidgets; the progress bars here are tqdm's text bars, which need none.
warnings.filterwarnings("ignore", message="IProgress not found")
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import hw4data  # noqa: E402

UTTS_PER_SPEAKER = hw4data.UTTS_PER_SPEAKER


# ----------------------------------------------------------------------------- machine and randomness
def setup_torch():
    """The device (CUDA when present, else the CPU), a deliberate thread count and deterministic kernels (see
    CPU_KERNELS above for the CPU's instruction set).

    One thread per core this process may use, at most 8: these models are small, and more threads than
    cores (e.g. on a shared 2-core machine) make every step slower. `use_deterministic_algorithms` makes
    PyTorch refuse any op it knows to be nondeterministic, so a rerun on the same machine repeats every
    number (on CUDA it warns instead, where an op has no deterministic kernel; cuBLAS's workspace is fixed when
    hw4lib is imported). Returns (device, threads, a one-line description of the machine)."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    threads = min(8, cores)
    torch.set_num_threads(threads)
    # CPU: refuse any nondeterministic op. CUDA: warn instead, should an op have no deterministic kernel there.
    torch.use_deterministic_algorithms(True, warn_only=device.type == "cuda")
    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
               + (torch.cuda.get_device_name(0) if device.type == "cuda" else "no GPU"))
    return device, threads, machine


def device_of(module):
    """The device of a module's parameters (the CPU for a module without any)."""
    return next(module.parameters(), torch.empty(0)).device


def seed_everything(seed):
    """Seed Python's, NumPy's and PyTorch's global generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@contextmanager
def timed(store, key):
    """Add the wall time of the block to store[key] (seconds)."""
    t0 = time.time()
    yield
    store[key] = round(store.get(key, 0.0) + time.time() - t0, 2)


def progress(iterable, desc):
    """tqdm's progress bar over `iterable`, redrawn at most every 30 s, so that papermill's log and the saved
    notebook keep a few lines per loop (its last line says how long the loop took)."""
    from tqdm.std import tqdm                  # the text bar: it reads the same in a terminal, Jupyter and the HTML
    return tqdm(iterable, desc=desc, mininterval=30, ascii=True, file=sys.stdout)


# ----------------------------------------------------------------------------- small conversions
def accuracy(prob, y):
    """Share of decisions prob > 0.5 that equal the 0/1 labels y."""
    return float(((np.asarray(prob) > 0.5) == np.asarray(y)).mean())


def to_unit(images):
    """uint8 0..255 (array) -> float32 tensor in [0, 1]."""
    return torch.from_numpy(np.asarray(images, np.float32) / 255.0)


def from_pm1(x):
    """Images in [-1, 1] (a tanh output, or MNIST as the GANs see it) -> [0, 1]."""
    return (x + 1) / 2


def to_pm1(x):
    """Images in [0, 1] -> [-1, 1], the range of the GANs' tanh (the inverse of from_pm1)."""
    return x * 2 - 1


def to_uint8(x):
    """Images in [0, 1] (tensor or array) -> uint8 0..255, rounded."""
    return np.rint(np.asarray(x) * 255).astype(np.uint8)


# ----------------------------------------------------------------------------- input files
def load_pickle(path):
    """The array stored in the pickle at `path`; a missing or unreadable file is an error that names it. A list of
    equal-length rows is taken as the 2-D array it spells; ragged rows are an error."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: build the stand-ins with `python hw4data.py`, "
                                "or copy the course's file there.")
    try:
        with open(path, "rb") as f:
            obj = pickle.load(f)
    except (pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError) as e:
        raise ValueError(f"{path}: not a readable pickle of an array ({type(e).__name__}: {e}); the file is "
                         "damaged or truncated: copy it again, or rebuild it with `python hw4data.py`.") from e
    try:
        return np.asarray(obj)
    except ValueError as e:
        raise ValueError(f"{path}: holds a {type(obj).__name__} that is not one array (rows of different lengths?): "
                         f"{e}; store one 2-D array, every row the same length.") from e


MIN_UTTERANCE = 4_000          # samples: a quarter of a second at 16 kHz, about four 1,024-sample STFT windows


MAX_PEAK = 2.0      # largest |sample| a speech file may hold


def check_speech(X, path, min_speakers):
    """A speech matrix as librosa.load gives it: 2-D float (utterances x samples), finite, in [-1, 1], no silent
    (all-zero) row, at least MIN_UTTERANCE samples per row, rows in blocks of 10 utterances per speaker, at least
    `min_speakers` speakers. Returns it as float32."""
    if X.ndim != 2:
        raise ValueError(f"{path}: expected a 2-D array (utterances x samples), got shape {X.shape}.")
    if not np.issubdtype(X.dtype, np.floating):
        raise ValueError(f"{path}: expected float samples in [-1, 1] as librosa.load returns them, got dtype "
                         f"{X.dtype}; integer PCM is refused, not rescaled: convert it (int16: X / 32768) first.")
    if X.shape[1] < MIN_UTTERANCE:
        hint = (" The array looks transposed (more rows than samples per row): store it as X.T."
                if X.shape[0] > X.shape[1] else "")
        raise ValueError(f"{path}: rows of {X.shape[1]} samples, at least {MIN_UTTERANCE} expected (utterances x "
                         f"samples at 16 kHz, shape {X.shape}).{hint}")
    if X.shape[0] == 0 or X.shape[0] % UTTS_PER_SPEAKER:
        raise ValueError(f"{path}: {X.shape[0]} rows is not a positive multiple of {UTTS_PER_SPEAKER}; the file "
                         f"must hold {UTTS_PER_SPEAKER} consecutive utterances per speaker.")
    if X.shape[0] // UTTS_PER_SPEAKER < min_speakers:
        raise ValueError(f"{path}: {X.shape[0] // UTTS_PER_SPEAKER} speakers, at least {min_speakers} needed "
                         "(the pairs and folds of problem 1 need them); add speakers to the file.")
    bad = ~np.isfinite(X)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        raise ValueError(f"{path}: {bad.sum()} NaN/inf samples in rows {rows[:10].tolist()}; "
                         "rebuild the file (python hw4data.py) or fix those utterances.")
    peak = np.abs(X).max(1)
    if (peak > MAX_PEAK).any():          # MP3 decoding and resampling overshoot full scale a little: 1.1 is real audio
        rows = np.flatnonzero(peak > MAX_PEAK)
        raise ValueError(f"{path}: samples up to {peak.max():.3g} in absolute value in rows {rows[:10].tolist()}; "
                         f"expected floats in [-1, 1] as librosa.load returns them (at most {MAX_PEAK} after "
                         "resampling). Rescale the file (e.g. X / 32768 for int16 values stored as floats) rather "
                         "than letting this notebook guess.")
    if (peak == 0).any():
        rows = np.flatnonzero(peak == 0)
        raise ValueError(f"{path}: {len(rows)} silent rows (every sample 0), e.g. rows {rows[:10].tolist()}; each row "
                         "must be an utterance: replace those rows with speech.")
    return X.astype(np.float32)


def speech_file(path, min_speakers):
    """The speech matrix stored at `path`, checked (`check_speech`), as float32."""
    return check_speech(load_pickle(path), path, min_speakers)


def sevens_file(path):
    """The images stored at `path`, checked (`check_sevens`), as a float32 tensor in [0, 1]."""
    return torch.from_numpy(check_sevens(load_pickle(path), path))


def check_sevens(X, path):
    """N x 28 x 28 images: uint8 0..255, or float in [0, 1] or [0, 255] -> float32 in [0, 1]."""
    if X.ndim != 3 or X.shape[1:] != (28, 28):
        raise ValueError(f"{path}: expected an N x 28 x 28 array of images, got shape {X.shape}.")
    if X.dtype == np.uint8:
        return X.astype(np.float32) / 255.0
    if not np.issubdtype(X.dtype, np.floating):
        raise ValueError(f"{path}: expected uint8 or float pixels, got dtype {X.dtype}.")
    if not np.isfinite(X).all():
        raise ValueError(f"{path}: contains NaN/inf pixels; rebuild it with `python hw4data.py`.")
    lo, hi = float(X.min()), float(X.max())
    if lo >= 0 and hi <= 1:
        return X.astype(np.float32)
    if lo >= 0 and hi <= 255:
        return (X / 255.0).astype(np.float32)
    raise ValueError(f"{path}: pixel values span [{lo}, {hi}]; expected [0, 1] or [0, 255].")


# ----------------------------------------------------------------------------- MNIST
def mnist(mnist_dir, split, device="cpu"):
    """MNIST `split` ('train'/'test') from the four IDX files in `mnist_dir` (md5-checked) as tensors on
    `device`: (float32 images N x 28 x 28 in [0, 1], int64 labels)."""
    images, labels = hw4data.load_mnist(mnist_dir, split)
    return to_unit(images).to(device), torch.from_numpy(labels).to(device)


# ----------------------------------------------------------------------------- figures
DIGIT_INCHES = 0.8            # one 28 x 28 digit in a grid of its own figure: about 50 px at 80 dpi


def show_grid(images, nrow, ax=None, title=None, row_labels=None):
    """Images (N x 28 x 28, values in [0, 1]) as one grid of `nrow` rows (a new figure sized DIGIT_INCHES
    per digit unless `ax` is given), optionally with a label left of each row. Returns the axes."""
    import matplotlib.pyplot as plt
    images = np.asarray(images, dtype=np.float32)
    n, h, w = images.shape
    ncol = math.ceil(n / nrow)
    canvas = np.zeros((nrow * (h + 1) - 1, ncol * (w + 1) - 1), np.float32)
    for i, im in enumerate(images):
        r, c = divmod(i, ncol)
        canvas[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = im
    if ax is None:
        _, ax = plt.subplots(figsize=(ncol * DIGIT_INCHES, nrow * DIGIT_INCHES + 0.4))
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([])
    if row_labels is None:
        ax.set_yticks([])
    else:
        ax.set_yticks(np.arange(nrow) * (h + 1) + h / 2, [str(r) for r in row_labels])
        ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title)
    return ax


def plot_curves(curves, ylabel, title, lines=(), ax=None, ylim=(0, 1), colors=None, log=False):
    """One line per named curve (its value after epoch 1, 2, ...; `colors` in order, else matplotlib's cycle) and
    `lines`: (value, line style, label) of horizontal reference lines; log: a log-scale y axis. Returns the axes."""
    import matplotlib.pyplot as plt
    ax = ax or plt.subplots(figsize=(7.5, 4))[1]
    if log:
        ax.set_yscale("log")            # before plotting: autoscaling then keeps the limits positive
    for k, (name, curve) in enumerate(curves.items()):
        ax.plot(range(1, len(curve) + 1), curve, "o-", ms=3, label=name, color=colors[k] if colors else None)
    for value, style, label in lines:
        ax.axhline(value, color="gray", ls=style, label=label)
    ax.set(xlabel="epoch", ylabel=ylabel, ylim=ylim, title=title)
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(fontsize=8)
    return ax


def scalars(record):
    """A record (dict) or history (list of them) without its per-sample arrays, for JSON."""
    if isinstance(record, list):
        return [scalars(r) for r in record]
    return {k: v for k, v in record.items() if not isinstance(v, np.ndarray)}


# ----------------------------------------------------------------------------- the digit classifier
class DigitNet(nn.Module):
    """Two conv layers and one hidden layer; `features` is the 128-d penultimate layer."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
        self.fc = nn.Sequential(nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.3))
        self.out = nn.Linear(128, 10)

    def features(self, x):           # x: B x 28 x 28 in [0, 1]
        return self.fc(self.conv(x.unsqueeze(1)))

    def forward(self, x):
        return self.out(self.features(x))


def train_digit_classifier(x, y, epochs, seed, device):
    """A DigitNet trained with Adam (1e-3, minibatches of 128) on images x (N x 28 x 28 in
    [0, 1]) and labels y; seeded with `seed` inside a forked random state, so the caller's random streams are left
    as they were."""
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        net = DigitNet().to(device)
        opt = torch.optim.Adam(net.parameters(), 1e-3)
        for _ in range(epochs):
            for idx in torch.randperm(len(x)).split(128):
                loss = F.cross_entropy(net(x[idx].to(device)), y[idx].to(device))
                opt.zero_grad(); loss.backward(); opt.step()
    return net.eval()


def train_judge(x, y, fast, seed, device):
    """The DigitNet that scores both GANs of the notebook and of experiments/ (one recipe): trained for 3 epochs on
    images x and labels y (fast: the first 2,000 for 1 epoch)."""
    n = 2000 if fast else len(x)
    return train_digit_classifier(x[:n], y[:n], 1 if fast else 3, seed, device)


def holdout(x, y, n):
    """Images x and labels y -> ((all but the last n), (the last n)): a training part and a held-out part."""
    if not 0 < n < len(x):
        raise ValueError(f"holdout: cannot hold out {n} of {len(x)} images.")
    return (x[:-n], y[:-n]), (x[-n:], y[-n:])


@torch.no_grad()
def _from_features(net, images, head):
    """head(penultimate features) of the classifier for B x 28 x 28 images in [0, 1], in chunks, on the CPU."""
    return torch.cat([head(net.features(chunk.to(device_of(net)))).cpu() for chunk in images.split(1000)])


def classify(net, images, features=False):
    """The classifier's labels (or its 128-d penultimate features) for B x 28 x 28 images in [0, 1], on the CPU."""
    return _from_features(net, images, (lambda f: f) if features else (lambda f: net.out(f).argmax(1)))


def top_probability(net, images):
    """The classifier's highest class probability (softmax) for each of B x 28 x 28 images in [0, 1], on the CPU."""
    return _from_features(net, images, lambda f: net.out(f).softmax(1).max(1).values)


@torch.no_grad()
def labels_and_features(net, images):
    """classify(net, images) and classify(net, images, features=True) from one pass through the network."""
    features = classify(net, images, features=True)
    return net.out(features.to(device_of(net))).argmax(1).cpu(), features


def classified_as(net, images, labels):
    """Share of the images (B x 28 x 28 in [0, 1]) that the classifier gives the matching label of `labels`."""
    return (classify(net, images) == labels.cpu()).float().mean().item()


def psd_sqrt(c):
    """Square root of a symmetric positive semi-definite matrix, through its eigen-decomposition."""
    from scipy import linalg
    w, v = linalg.eigh(c)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet(f1, f2):
    """Frechet distance of the Gaussians fitted to two feature sets (N x d tensors):
    ||m1 - m2||^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2)), with tr (C1 C2)^(1/2) computed stably as the sum of the
    square roots of the eigenvalues of the symmetric C1^(1/2) C2 C1^(1/2) (same spectrum)."""
    from scipy import linalg
    f1, f2 = f1.double().numpy(), f2.double().numpy()
    m1, m2 = f1.mean(0), f2.mean(0)
    c1, c2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    s1 = psd_sqrt(c1)
    tr_covmean = np.sqrt(np.clip(linalg.eigvalsh(s1 @ c2 @ s1), 0, None)).sum()
    return float(((m1 - m2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * tr_covmean)


def linear_r2(features, target):
    """R^2 of the least-squares fit target ~ features (with an intercept), by scikit-learn."""
    from sklearn.linear_model import LinearRegression
    return float(LinearRegression().fit(features, target).score(features, target))


def specks(images, low=0.25, high=0.5, max_size=3):
    """Stray specks per image: groups of at most `max_size` 8-connected pixels above `low` that contain a pixel
    above `high`, in N x 28 x 28 images in [0, 1] (a tensor or an array). Real MNIST test digits have almost
    none; an MLP generator sprinkles them over the background. Returns one count per image (numpy ints)."""
    from scipy import ndimage
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3 or images.min() < 0 or images.max() > 1:
        raise ValueError(f"specks: expected N x H x W images in [0, 1], got shape {images.shape} "
                         f"and range [{images.min():.2f}, {images.max():.2f}]; convert with from_pm1 first")
    connect = np.zeros((3, 3, 3), bool)
    connect[1] = True                        # 8-connectivity within an image, none across images
    groups, n = ndimage.label(images > low, structure=connect)
    if n == 0:
        return np.zeros(len(images), dtype=int)
    index = np.arange(1, n + 1)
    sizes = np.bincount(groups.ravel(), minlength=n + 1)[1:]
    peaks = np.asarray(ndimage.maximum(images, groups, index))
    image_of = np.array([group[0].start for group in ndimage.find_objects(groups)])
    return np.bincount(image_of[(sizes <= max_size) & (peaks > high)], minlength=len(images))


# ----------------------------------------------------------------------------- 95 % intervals
def t_interval(values, level=0.95):
    """Mean of `values` (one per training seed, n >= 2) and its Student-t interval: mean -/+ t * sd / sqrt(n)."""
    from scipy import stats
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or len(v) < 2:
        raise ValueError(f"t_interval: needs 2 or more values, got {v.shape}; with one model use wilson_interval over its test items.")
    half = stats.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    return float(v.mean()), [float(v.mean() - half), float(v.mean() + half)]


def paired_t_interval(without, with_it, level=0.95):
    """The gain with_it - without, paired by seed (element k of each is seed k): its mean and t-interval."""
    return t_interval(np.asarray(with_it, np.float64) - np.asarray(without, np.float64), level)


def equal_error_rate(y, prob):
    """The error rate where false accepts (labels 0 called 1) and false rejects are equally frequent (from the ROC)."""
    from sklearn.metrics import roc_curve
    fpr, tpr, _ = roc_curve(y, prob, drop_intermediate=False)
    i = np.argmin(np.abs(fpr - (1 - tpr)))
    return float((fpr[i] + 1 - tpr[i]) / 2)


def wilson_interval(k, n, level=0.95):
    """Share k / n and its Wilson score interval (a proportion of n independent trials), from scipy."""
    from scipy import stats
    ci = stats.binomtest(int(k), int(n)).proportion_ci(level, method="wilson")
    return float(k / n), [float(ci.low), float(ci.high)]


def excludes(interval, value=0.0):
    """True when the interval [low, high] lies wholly above or below `value`."""
    return interval[0] > value or interval[1] < value


def verdict(interval):
    """The word a gain's 95 % interval allows: 'helps' (wholly above zero), 'hurts' (below), else 'not resolved'."""
    if not excludes(interval):
        return "not resolved"
    return "helps" if interval[0] > 0 else "hurts"


def ci_text(value, interval, fmt=".3f"):
    """'value [low, high]', each number in the format `fmt` (e.g. '+.3f' for a gain)."""
    return f"{value:{fmt}} [{interval[0]:{fmt}}, {interval[1]:{fmt}}]"


def markdown_table(header, rows):
    """A Markdown table of `header` (column names) and `rows` (lists of cells, already formatted)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows])


# ----------------------------------------------------------------------------- the notebook's cells
def notebook_cells(notebook, *tags):
    """Source of the notebook's code cells that carry any of `tags`, in order."""
    nb = json.loads(Path(notebook).read_text())
    return ["".join(c["source"]) for c in nb["cells"]
            if c["cell_type"] == "code" and set(c["metadata"].get("tags", [])) & set(tags)]


def notebook_definitions(notebook, *parts, **params):
    """A namespace with the notebook's parameters (the cell tagged `parameters`, then `params` overriding them, as
    papermill would) and the code cells tagged `defs` that belong to the setup or to `parts`, run in order from the
    notebook's folder: its functions, classes and settings; nothing trained, no data read, no file written. The tests
    and experiments/ use the notebook's own definitions through this."""
    cells = [c for c in json.loads(Path(notebook).read_text())["cells"] if c["cell_type"] == "code"]
    tags = [set(c["metadata"].get("tags", [])) for c in cells]
    parameters = [k for k, t in enumerate(tags) if "parameters" in t]
    if len(parameters) != 1:
        raise ValueError(f"{notebook}: {len(parameters)} cells tagged 'parameters', expected exactly one.")
    definitions = [k for k, t in enumerate(tags)
                   if "defs" in t and t & {"setup", *parts} and k not in parameters]
    ns = {"__name__": "__notebook__"}
    cwd = os.getcwd()
    os.chdir(Path(notebook).resolve().parent)
    try:
        exec("".join(cells[parameters[0]]["source"]), ns)
        ns.update(params)
        for k in definitions:
            exec(compile("".join(cells[k]["source"]), f"<{Path(notebook).name} cell {k}>", "exec"), ns)
    finally:
        os.chdir(cwd)
    return ns


def stopped_improving(curve, window=10, min_gain=0.005, smooth=5):
    """True when `curve` (one value per epoch, higher is better) has gained less than `min_gain` over the last `window`
    epochs: the mean of its last `smooth` values minus the mean of the `smooth` values `window` epochs earlier (the
    means damp the epoch-to-epoch noise of a score on a finite sample). False while the curve is shorter than that."""
    if len(curve) < window + smooth:
        return False
    return float(np.mean(curve[-smooth:]) - np.mean(curve[-window - smooth:-window])) < min_gain
