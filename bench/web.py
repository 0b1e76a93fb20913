"""(b) Pages under load: gunicorn with 4 workers, 16 concurrent clients, only to 127.0.0.1.

The floor is a trivial endpoint (``/healthz``: one query, a small JSON answer) on the same server
in the same run. Measured: the case list (filtered, sorted, paginated, as the province-level
officer who sees every unit) and the case page. A bounded load: each phase runs a fixed time
with a fixed number of client threads; every answer that is not a 200 is an error. The workers'
memory is sampled while it runs.
"""
import http.client
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

from .common import ROOT, SECRET, WORK, Row, median, percentile

HOST = "127.0.0.1"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, url, workers=4):
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "WEB_CONCURRENCY": str(workers),
               "BIND": f"{HOST}:{self.port}", "LOG_FORMAT": "json", "LOG_LEVEL": "warning"}
        WORK.mkdir(parents=True, exist_ok=True)
        self.log = open(WORK / "gunicorn.log", "w")  # noqa: SIM115 (open while the server runs)
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile",
                                      str(WORK / "access.log"), "wsgi:app"], cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if request(self.port, "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError("gunicorn did not answer /healthz within 90 s; see instance/bench/gunicorn.log")

    def worker_rss_mb(self):
        import psutil

        try:
            return [p.memory_info().rss / 2**20 for p in psutil.Process(self.proc.pid).children()]
        except psutil.Error:
            return []

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)
        self.log.close()


def request(port, path, cookie=None, method="GET", body=None, headers=None):
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        all_headers = {"Connection": "close", "User-Agent": "cadreflow-bench"}
        if cookie:
            all_headers["Cookie"] = cookie
        all_headers.update(headers or {})
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        cookies = [c.split(";", 1)[0] for c in response.msg.get_all("Set-Cookie") or []]
        return response.status, data, next((c for c in cookies if c.startswith("session=")), "")
    finally:
        conn.close()


def login(port, username, password):
    status, page, set_cookie = request(port, "/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
    cookie = set_cookie
    body = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token})
    status, _page, set_cookie = request(port, "/login", cookie, "POST", body,
                                        {"Content-Type": "application/x-www-form-urlencoded"})
    if status != 302:
        raise RuntimeError(f"bench login as {username} failed with {status}")
    return set_cookie


def load(port, paths, cookie, clients=16, seconds=8.0):
    """``clients`` threads ask for random paths for ``seconds``; latencies in ms, and the errors."""
    latencies, errors, lock = [], [], threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(seed):
        rng = random.Random(seed)
        mine, bad = [], []
        while time.perf_counter() < stop_at:
            path = rng.choice(paths)
            started = time.perf_counter()
            try:
                status = request(port, path, cookie)[0]
            except OSError as exc:
                status = repr(exc)
            mine.append((time.perf_counter() - started) * 1000)
            if status != 200:
                bad.append((path, status))
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


def list_paths(app):
    from sqlalchemy import select

    from models import Unit, db

    with app.app_context():
        cities = db.session.scalars(select(Unit.id).where(Unit.depth == 1).order_by(Unit.id)).all()
    paths = []
    for page in (1, 2, 5, 20):
        paths += [f"/cases?sort=updated&page={page}", f"/cases?track=promotion&state=probation&sort=due&page={page}",
                  f"/cases?track=adjustment&state=follow_up&sort=due&page={page}", f"/cases?state=nomination&sort=reference&page={page}"]
    paths += [f"/cases?unit={u}&sort=due" for u in cities[:8]]
    paths += ["/cases?state=publicity&sort=due", "/cases?track=adjustment&sort=cadre&page=3", "/cases?state=inspection&sort=updated"]
    return paths


def case_paths(app, count=500):
    from sqlalchemy import func, select

    from models import Case, db

    with app.app_context():
        top = db.session.scalar(select(func.max(Case.id)))
    rng = random.Random(6)
    return [f"/cases/{rng.randint(1, top)}" for _ in range(count)]


def run(app, url, backend, runs=3, clients=16, seconds=8.0, log=print):
    server = Server(url)
    peak = [0.0]
    sampling = threading.Event()

    def sample():
        while not sampling.wait(0.5):
            peak[0] = max([peak[0], *server.worker_rss_mb()])

    sampler = threading.Thread(target=sample, daemon=True)
    try:
        cookie = login(server.port, "officer", "demo-pass-2026")
        sampler.start()  # after the sign-in: argon2's 64 MB for one hash is not the load test's memory
        phases = {"trivial": ["/healthz"], "list": list_paths(app), "page": case_paths(app)}
        for paths in phases.values():  # warm every worker on every kind of page
            load(server.port, paths, cookie, clients, 2.0)
        measured = {name: [] for name in phases}
        for _ in range(runs):
            for name, paths in phases.items():
                latencies, errors = load(server.port, paths, cookie, clients, seconds)
                measured[name].append((median(latencies), percentile(latencies, 99), len(latencies), errors))
    finally:
        sampling.set()
        if sampler.is_alive():
            sampler.join()
        server.stop()
    rows = []
    for name, title in (("list", "(b) case list"), ("page", "(b) case page")):
        med_ratios = [m[0] / t[0] for m, t in zip(measured[name], measured["trivial"], strict=True)]
        p99_ratios = [m[1] / t[1] for m, t in zip(measured[name], measured["trivial"], strict=True)]
        # the run with the median ratio (ratios are taken within a run: the floor shares its noise)
        pick = sorted(range(runs), key=lambda i: med_ratios[i])[runs // 2]
        pick99 = sorted(range(runs), key=lambda i: p99_ratios[i])[runs // 2]
        m, t = measured[name][pick], measured["trivial"][pick]
        m99, t99 = measured[name][pick99], measured["trivial"][pick99]
        errors = sum(len(x[3]) for x in measured[name]) + sum(len(x[3]) for x in measured["trivial"])
        requests = sum(x[2] for x in measured[name])
        log(f"[{backend}] {name}: median {[round(x[0], 1) for x in measured[name]]} ms, p99 {[round(x[1], 1) for x in measured[name]]} ms; "
            f"trivial median {[round(x[0], 1) for x in measured['trivial']]} ms, p99 {[round(x[1], 1) for x in measured['trivial']]} ms; "
            f"{requests} requests, {errors} errors")
        if errors:
            log(f"  first errors: {[x[3][:3] for x in measured[name]]}")
        med = Row(backend, f"{title} median latency, {clients} clients", m[0], t[0], "ms", "<= 3x trivial")
        med.passed = med.ratio <= 3 and errors == 0
        p99 = Row(backend, f"{title} p99 latency, {clients} clients", m99[1], t99[1], "ms", "<= 5x trivial")
        p99.passed = p99.ratio <= 5 and errors == 0
        rows += [med, p99]
    errors = sum(len(x[3]) for runs_ in measured.values() for x in runs_)
    rows.append(Row(backend, "(b) errors under load", errors, None, "", "0", errors == 0))
    mem = Row(backend, "memory: web worker peak under load", peak[0], None, "MB", "< 200 MB")
    mem.passed = peak[0] < 200
    rows.append(mem)
    return rows
