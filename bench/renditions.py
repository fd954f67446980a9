"""Renditions: the time and peak memory of making every rendition of one 40-megapixel JPEG, as the worker
does (pressroom/newsroom/renditions.py: make_all, then store), and of the upload check that runs in the
request before it (uploads.detect). BENCH_ONLY=renditions, results in renditions.json.

The photo is made with Pillow: 7728 × 5152 (a 40 MP full-frame camera), Gaussian noise over a gradient,
JPEG quality 90 (≈ 20 MB), so that it neither compresses away nor decodes faster than a real photo. Each
measurement runs in a fresh Python process (`python -m bench.renditions WHAT FILE`), so that its peak
RSS (VmHWM) is its own: the process's RSS once Django is set up is reported beside it, and the
difference is what the image work took. Three runs each; the median time and the highest peak.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SIZE = (7728, 5152)
RUNS = 3


def make_photo(path, size=SIZE):
    from PIL import Image

    noise = Image.effect_noise(size, 48)
    gradient = Image.linear_gradient("L")
    across = gradient.transpose(Image.Transpose.ROTATE_90).resize(size)
    gradient = gradient.resize(size)
    photo = Image.merge("RGB", (Image.blend(noise, gradient, 0.5), Image.blend(noise, across, 0.5), noise))
    photo.save(path, "JPEG", quality=90)
    return path.stat().st_size


def max_rss_mb():
    """This process's peak RSS. VmHWM rather than getrusage: ru_maxrss carries over the parent's peak
    through fork and exec, VmHWM starts again with the new program."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def measure(what, path):
    """In this process: set Django up, then run WHAT on the photo at PATH; the numbers as JSON."""
    import django

    django.setup()
    from django.core.files import File

    from pressroom.newsroom import renditions, uploads

    baseline = max_rss_mb()
    started = time.perf_counter()
    with open(path, "rb") as source:
        if what == "detect":
            uploads.detect(File(source, name="photo.jpg"))
            sizes = {}
        else:
            made = renditions.make_all(source, credit="Bench")
            renditions.store(made, "bench")
            sizes = {n: [r.width, r.height, len(r.content), len(r.webp or b"")] for n, r in made.items()}
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "baseline_rss_mb": baseline, "peak_rss_mb": max_rss_mb(),
                      "sizes": sizes}))  # fmt: skip


def run_one(bench, what, path):
    # The run's settings when its services are up; alone (BENCH_ONLY=renditions) none are needed.
    env = getattr(bench, "env", None) or {**os.environ, "DJANGO_SETTINGS_MODULE": "pressroom.settings",
                                           "DEBUG": "true"}  # fmt: skip
    env = {**env, "LOG_LEVEL": "WARNING", "PRESSROOM_VAR_DIR": str(bench.workdir / "var")}
    output = subprocess.run(
        [sys.executable, "-m", "bench.renditions", what, str(path)],
        check=True, capture_output=True, text=True, env=env, cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    return json.loads(output.stdout.strip().splitlines()[-1])


def run(bench):
    path = bench.workdir / "photo-40mp.jpg"
    file_bytes = make_photo(path)
    found = {"image": {"width": SIZE[0], "height": SIZE[1], "megapixels": round(SIZE[0] * SIZE[1] / 1e6, 1),
                       "file_mb": round(file_bytes / 1e6, 1)}}  # fmt: skip
    for what, label in (("detect", "upload_check"), ("make", "all_renditions")):
        runs = [run_one(bench, what, path) for _ in range(RUNS)]
        found[label] = {
            "seconds_median": round(statistics.median(r["seconds"] for r in runs), 2),
            "seconds_runs": [round(r["seconds"], 2) for r in runs],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "baseline_rss_mb": max(r["baseline_rss_mb"] for r in runs),
        }
        if runs[-1]["sizes"]:
            found["renditions"] = {
                name: {"width": w, "height": h, "kb": round(size / 1024), "webp_kb": round(webp / 1024)}
                for name, (w, h, size, webp) in runs[-1]["sizes"].items()
            }
        print(f"   {label}: {found[label]['seconds_median']} s, peak RSS {found[label]['peak_rss_mb']} MB "
              f"(Django alone {found[label]['baseline_rss_mb']} MB)", flush=True)  # fmt: skip
    bench.results["renditions"] = found


def format_rows(found):
    image = found["image"]
    rows = [f"Renditions of one {image['megapixels']} MP JPEG ({image['file_mb']} MB), fresh process each"]
    for label in ("upload_check", "all_renditions"):
        if label in found:
            v = found[label]
            rows.append(f"  {label:15} {v['seconds_median']:>6} s  peak RSS {v['peak_rss_mb']:>6} MB "
                        f"(Django alone {v['baseline_rss_mb']} MB)")  # fmt: skip
    return rows


if __name__ == "__main__":
    measure(sys.argv[1], sys.argv[2])
