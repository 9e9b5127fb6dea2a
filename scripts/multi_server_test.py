#!/usr/bin/env python3
"""Several processes on one store: a running `akashi serve` beside an `akashi import` and `akashi audit` from another
shell, and two servers on one store, one of them killed with SIGKILL mid-traffic and restarted.

Written from the documentation only (README, docs/, openapi.yaml, `--help`), not from the Swift code.

Setup: a small generated city (`akashi generate --scale 0.002 --seed 7`), imported into a fresh store; passwords for a
few clerks on register duty today; a ledger signing key (outside the store) that every server signs checkpoints with.

Scenario A — a second process does not break a running server: one `akashi serve`; clerks sign in, acknowledge the
banner, search and open registers with a stated reason through the JSON API, while the script runs `akashi import`
(new access events plus the city's files again: the re-import must change nothing) and `akashi audit` beside it, as
another shell would. Checks: no 5xx and no failed request at any point, the server still answers afterwards, the CLI
commands succeed, reference counts are unchanged, `akashi ledger verify` passes, and every acknowledged view and every
imported event is in the export exactly once.

Scenario B — two servers, one killed: two `akashi serve` on the same store (two ports) with concurrent clerk traffic
(register views with a stated reason). Midway one server gets SIGKILL; traffic goes on against the other; then the
killed one is restarted on its port and gets traffic again. Every view answered 2xx carries its access event's ID
(`event`); those are the acknowledged ones (a request whose server was killed under it got no answer and does not
count). Checks: no 5xx, the restarted server serves, `akashi ledger verify` passes, every acknowledged event ID is in
the export (`akashi export`) exactly once, no event ID appears twice there, and the final log extends every signed
checkpoint seen on the way (`akashi ledger check`: the one after setup, after scenario A, and the ones the servers
published before the kill, while one was down and after the restart).

Store: AKASHI_TEST_STORE_KIND=sqlite (default; a directory in the temporary directory) or postgres (AKASHI_TEST_POSTGRES
is a base URL such as postgres://postgres@127.0.0.1:55432/akashi_test; the script appends ?municipality=<fresh name>;
a password goes only in PGPASSWORD, never in the URL). Binary: AKASHI_BIN. Everything is written to a temporary
directory, removed at the end (KEEP_TMP=1 keeps it). Every server started is stopped, also on failure.

Tuning (defaults in brackets): AKASHI_TEST_SCALE [0.002], AKASHI_TEST_WORKERS [6], AKASHI_TEST_B_BEFORE / _DOWN /
_AFTER [100 each: acknowledged views before the kill, with one server down, on the restarted server], AKASHI_TEST_THINK
[0.25 s between a clerk's views in scenario B].

    AKASHI_BIN=.build/debug/akashi python3 scripts/multi_server_test.py
    AKASHI_BIN=… AKASHI_TEST_STORE_KIND=postgres AKASHI_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/akashi_test \\
        python3 scripts/multi_server_test.py

Exit status 0 only when every check passes; 1 otherwise (2 for an unusable configuration).
"""
import collections
import gzip
import json
import os
import random
import re
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from akashi_scripts import city_staff, free_port, on_duty, store_location

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AKASHI = os.environ.get("AKASHI_BIN", os.path.join(ROOT, ".build", "debug", "akashi"))
PASSWORD = "multi-server-test-pw-1"
ORIGIN = "multi-server-test.example/akashi"
SCALE = os.environ.get("AKASHI_TEST_SCALE", "0.002")
WORKERS = int(os.environ.get("AKASHI_TEST_WORKERS", "6"))
# Scenario B: acknowledged views before the kill, with one server down, and on the restarted server.
B_BEFORE_KILL = int(os.environ.get("AKASHI_TEST_B_BEFORE", "100"))
B_WHILE_DOWN = int(os.environ.get("AKASHI_TEST_B_DOWN", "100"))
B_AFTER_RESTART = int(os.environ.get("AKASHI_TEST_B_AFTER", "100"))
# Scenario B paces each clerk (seconds between views) so that a phase lasts long enough for the servers to sign
# checkpoints ("every few seconds while the ledger grows"), and drops the pause for a burst just before the kill, so
# that the kill lands on requests in flight.
THINK = float(os.environ.get("AKASHI_TEST_THINK", "0.25"))
BURST = 0.5
PHASE_TIMEOUT = 120  # seconds a traffic phase may take before it counts as stalled
REQUEST_TIMEOUT = 30

RESULTS = []  # (name, ok)


def check(name, ok, detail=""):
    RESULTS.append((name, bool(ok)))
    print(f"{'PASS' if ok else 'FAIL'}  {name}" + (f"  [{detail}]" if detail else ""), flush=True)
    return ok


def info(text):
    print(f"      {text}", flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Processes


class Procs:
    """Every process the script starts, so that all of them are stopped whatever happens."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.all = []

    def popen(self, args, log_name):
        log = open(os.path.join(self.tmp, log_name), "ab")
        p = subprocess.Popen([AKASHI, *args], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             cwd=self.tmp)
        log.close()
        p.log_path = os.path.join(self.tmp, log_name)
        self.all.append(p)
        return p

    def stop_all(self):
        for p in self.all:
            if p.poll() is None:
                p.terminate()
        for p in self.all:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


WORKDIR = {"dir": None}  # every command runs in the temporary directory: nothing lands in the caller's one


def run(*args, stdin=None, timeout=300, cwd=None):
    return subprocess.run([AKASHI, *args], input=stdin, capture_output=True, text=True, timeout=timeout,
                          cwd=cwd or WORKDIR["dir"])


class Server:
    """One `akashi serve` on a fixed port; can be killed and restarted on the same port."""

    def __init__(self, procs, name, store, key, port=None):
        self.procs, self.name, self.store, self.key = procs, name, store, key
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        self.proc = self.procs.popen(["serve", "--store", self.store, "--port", str(self.port), "--key", self.key],
                                     f"server-{self.name}-{self.starts}.log")
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server {self.name} exited with {self.proc.returncode} on start: "
                                   + self.log_tail())
            try:
                if urllib.request.urlopen(self.base + "/healthz", timeout=1).status == 200:
                    return
            except Exception:
                time.sleep(0.1)
        raise RuntimeError(f"server {self.name} did not answer /healthz within 60 s: " + self.log_tail())

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        """SIGTERM (a graceful stop); returns the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "killed after 30 s"

    def log_tail(self, n=1500):
        try:
            with open(self.proc.log_path, encoding="utf-8", errors="replace") as fh:
                return fh.read()[-n:]
        except OSError:
            return ""

    def error_lines(self):
        lines = []
        for i in range(1, self.starts + 1):
            try:
                with open(os.path.join(self.procs.tmp, f"server-{self.name}-{i}.log"), encoding="utf-8",
                          errors="replace") as fh:
                    # Log lines read "<time> <level> <label>: <message>"; errors, criticals and any 500 count.
                    lines += [line.rstrip() for line in fh
                              if line.split(" ", 2)[1:2] in (["error"], ["critical"]) or "500 Internal Server Error" in line]
            except OSError:
                pass
        return lines


# ---------------------------------------------------------------------------------------------------------------
# The JSON API


class Unreachable(Exception):
    """No HTTP answer at all (connection refused or reset, timeout)."""


def api(base, method, path, body=None, token=None, terminal=None):
    """One request; returns (status, parsed JSON or None). Raises Unreachable when no HTTP answer came."""
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    if terminal:
        headers["X-Akashi-Terminal"] = terminal
    req = urllib.request.Request(base + "/api/v1" + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT) as r:
            status, text = r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode("utf-8", "replace")
    except Exception as e:  # URLError, ConnectionError, RemoteDisconnected, timeout
        raise Unreachable(repr(e)) from None
    try:
        return status, (json.loads(text) if text else None)
    except ValueError:
        return status, {"_raw": text[:200]}


def sign_in(base, staff_id, terminal):
    """Login and banner acknowledgement; returns (token, [statuses]) or raises on failure."""
    statuses = []
    for attempt in range(5):
        status, body = api(base, "POST", "/login", {"staff": staff_id, "password": PASSWORD}, terminal=terminal)
        statuses.append(("login", status))
        if status == 200:
            break
        # signin_busy / signin_throttled are 4xx answers a client may retry; anything else is a failure.
        code = (body or {}).get("error", {}).get("code") if isinstance(body, dict) else None
        if code not in ("signin_busy", "signin_throttled"):
            raise RuntimeError(f"login {staff_id} at {base}: {status} {body}")
        time.sleep(0.5 * (attempt + 1))
    else:
        raise RuntimeError(f"login {staff_id} at {base}: still busy after 5 attempts")
    token = body["token"]
    status, body = api(base, "POST", "/banner/acknowledge", token=token, terminal=terminal)
    statuses.append(("banner/acknowledge", status))
    if status != 204:
        raise RuntimeError(f"banner acknowledge {staff_id} at {base}: {status} {body}")
    return token, statuses


class Tally:
    """Every answer the clerks got, thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = collections.Counter()  # (server, kind, status) -> n
        self.unexpected = []  # (server, kind, status, body) for answers that are neither 2xx nor expected
        self.server_errors = []  # 5xx
        self.unreachable_expected = 0  # requests lost because their server was killed
        self.unreachable_unexpected = []  # requests without an answer from a server that should have been up
        self.acked = []  # (event id, server, phase)
        self.latencies = collections.defaultdict(list)

    def record(self, server, kind, status, body=None, latency=None):
        with self.lock:
            self.statuses[(server, kind, status)] += 1
            if latency is not None:
                self.latencies[server].append(latency)
            if status >= 500:
                self.server_errors.append((server, kind, status, body))
            elif status >= 300:
                self.unexpected.append((server, kind, status, body))

    def ack(self, event, server, phase):
        with self.lock:
            self.acked.append((event, server, phase))

    def acked_count(self, server=None, phase=None):
        with self.lock:
            return sum(1 for _, s, p in self.acked if (server is None or s == server) and (phase is None or p == phase))

    def summary(self):
        with self.lock:
            by = collections.Counter()
            for (server, kind, status), n in self.statuses.items():
                by[f"{server} {kind} {status}"] += n
            return ", ".join(f"{k}: {v}" for k, v in sorted(by.items()))


def pct(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


# ---------------------------------------------------------------------------------------------------------------
# Setup


def read_jsonl(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def setup(tmp, store):
    """Generate, import, passwords, key. Returns the city's description for the scenarios."""
    city_dir = os.path.join(tmp, "city")
    t = time.time()
    r = run("generate", "--out", city_dir, "--scale", SCALE, "--seed", "7", cwd=tmp)
    if not check("setup: generate a small city", r.returncode == 0,
                 f"scale {SCALE}, {time.time() - t:.1f} s; " + (r.stdout.strip() or r.stderr.strip())[-300:]):
        raise RuntimeError("generate failed")
    files = sorted(os.path.join(city_dir, f) for f in os.listdir(city_dir)
                   if f.endswith(".jsonl") or f.endswith(".jsonl.gz"))
    lines = 0
    for f in files:
        with open(f, "rb") as fh:
            lines += sum(1 for line in fh if line.strip())
    t = time.time()
    r = run("import", "--store", store, "--quiet", *files, cwd=tmp)
    elapsed = time.time() - t
    if not check("setup: import the city into a fresh store", r.returncode == 0 and elapsed < 60,
                 f"exit {r.returncode}, {elapsed:.1f} s; " + (r.stdout.strip() or r.stderr.strip())[-300:]):
        raise RuntimeError("import failed")

    today = time.strftime("%Y-%m-%d")
    staff = city_staff(files)
    clerks = [s for s in staff if s["role"] == "clerk" and on_duty(s, today)]
    if not check("setup: clerks on register duty today", len(clerks) >= WORKERS + 1, f"{len(clerks)} of {len(staff)} staff"):
        raise RuntimeError("not enough clerks on duty")
    clerks = clerks[:WORKERS + 1]
    failed = []
    for s in clerks:
        r = run("account", "set-password", "--store", store, "--staff", s["id"], stdin=PASSWORD + "\n", cwd=tmp)
        if r.returncode != 0 or PASSWORD in r.stdout + r.stderr:
            failed.append((s["id"], r.returncode, r.stderr.strip()[-200:]))
    if not check("setup: set passwords from stdin", not failed, f"{len(clerks)} clerks; failures {failed}"):
        raise RuntimeError("set-password failed")

    key = os.path.join(tmp, "ledger.key")
    r = run("ledger", "keygen", "--name", ORIGIN, "--out", key, cwd=tmp)
    verifier = r.stdout.strip().splitlines()[-1] if r.returncode == 0 and r.stdout.strip() else ""
    if not check("setup: ledger signing key (outside the store)", r.returncode == 0 and verifier.startswith(ORIGIN + "+"),
                 verifier or r.stderr[-300:]):
        raise RuntimeError("keygen failed")
    r = run("ledger", "checkpoint", "--store", store, "--key", key, cwd=tmp)
    if not check("setup: a signed checkpoint of the imported ledger", r.returncode == 0 and r.stdout.strip(),
                 " / ".join(r.stdout.strip().splitlines()[:3]) or r.stderr[-300:]):
        raise RuntimeError("checkpoint failed")
    checkpoint = r.stdout

    registers = read_jsonl(os.path.join(city_dir, "registers.jsonl"))
    persons = {p["id"]: p for p in read_jsonl(os.path.join(city_dir, "persons.jsonl"))}
    # A register with a member under VIP protection needs a supervisor's approval for every record (the two-person
    # rule), so the clerks' traffic here, which states a reason and no approval, opens only the others.
    vip = {rec["person"] for rec in read_jsonl(os.path.join(city_dir, "protections.jsonl")) if rec.get("kind") == "vip"}
    vip_registers = {p["register"] for p in persons.values() if p["id"] in vip and p.get("register")}
    current = [r for r in registers if r["kind"] == "current" and r.get("head")
               and r["id"] not in vip_registers and not vip.intersection(r.get("members") or [])]
    surnames = sorted({persons[r["head"]]["name"].split(" ")[0] for r in current if r["head"] in persons})
    counts = collections.Counter(rec.get("type") for f in files for rec in read_jsonl(f))
    return {"dir": city_dir, "files": files, "lines": lines, "clerks": clerks, "key": key, "verifier": verifier,
            "checkpoints": [("setup", checkpoint)],
            "registers": [r["id"] for r in current], "surnames": surnames, "counts": counts}


def verify_ledger(store, label, city):
    t = time.time()
    r = run("ledger", "verify", "--store", store, "--verifier-key", city["verifier"], timeout=600)
    out = (r.stdout.strip() or r.stderr.strip())
    ok = r.returncode == 0
    check(f"{label}: akashi ledger verify (against the published verifier key)", ok, f"exit {r.returncode}, {time.time() - t:.1f} s; "
          + (out.splitlines()[0] if ok and out else out[-1500:]))
    return ok


def witness(store, tmp, label, city):
    """`akashi ledger check` of every checkpoint saved so far (setup, earlier scenarios, servers' own): the log now
    extends each of them. Then saves the latest checkpoint for later checks."""
    failures, sizes = [], []
    for i, (origin, text) in enumerate(city["checkpoints"]):
        path = os.path.join(tmp, f"checkpoint-{label}-{i}")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        r = run("ledger", "check", "--store", store, "--old", path, "--verifier-key", city["verifier"])
        lines = text.splitlines()
        sizes.append(f"{origin}@{lines[1] if len(lines) > 1 else '?'}")
        if r.returncode != 0:
            failures.append(f"{origin}: exit {r.returncode} {(r.stdout + r.stderr).strip()[-300:]}")
    check(f"{label}: the log extends every checkpoint signed so far (akashi ledger check)", not failures,
          f"checked {', '.join(sizes)}; failures {failures}")
    r = run("ledger", "checkpoint", "--store", store)
    if r.returncode == 0 and r.stdout.strip():
        city["checkpoints"].append((f"after {label}", r.stdout))


def export_access_ids(store, tmp, label):
    """Exports the store and returns a Counter of access event IDs over every exported file."""
    out = os.path.join(tmp, f"export-{label}")
    r = run("export", "--store", store, "--out", out, timeout=600)
    if not check(f"{label}: akashi export", r.returncode == 0, f"exit {r.returncode} " + r.stderr.strip()[-300:]):
        return None
    ids = collections.Counter()
    for name in sorted(os.listdir(out)):
        if not (name.endswith(".jsonl") or name.endswith(".jsonl.gz")):
            continue
        opener = gzip.open if name.endswith(".gz") else open
        with opener(os.path.join(out, name), "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    record = json.loads(line)
                    if record.get("type") == "access":
                        ids[record["id"]] += 1
    shutil.rmtree(out, ignore_errors=True)
    return ids


def membership(acked_ids, exported):
    found = sum(1 for e in acked_ids if exported[e] == 1)
    missing = [e for e in acked_ids if exported[e] == 0]
    twice = [e for e in acked_ids if exported[e] > 1]
    return found, missing, twice


# ---------------------------------------------------------------------------------------------------------------
# Scenario A: a second process beside a running server


def scenario_a(tmp, store, city, procs):
    print("\n=== Scenario A: akashi import and akashi audit beside a running server", flush=True)
    server = Server(procs, "A", store, city["key"])
    server.start()
    tally = Tally()
    stop = threading.Event()
    clerks = city["clerks"][:4]

    def worker(i, clerk):
        rnd = random.Random(100 + i)
        terminal = f"MST-A-{i:02d}"
        try:
            token, statuses = sign_in(server.base, clerk["id"], terminal)
            for kind, st in statuses:
                tally.record("A", kind, st)
        except Unreachable as e:
            tally.unreachable_unexpected.append(("A", "login", str(e)))
            return
        except RuntimeError as e:
            tally.unexpected.append(("A", "login", 0, str(e)))
            return
        n = 0
        while not stop.is_set():
            n += 1
            try:
                if n % 4 == 0:
                    q = urllib.parse.urlencode({"name": rnd.choice(city["surnames"])})
                    t = time.time()
                    status, body = api(server.base, "GET", "/registers?" + q, token=token, terminal=terminal)
                    tally.record("A", "search", status, body, time.time() - t)
                else:
                    reg = rnd.choice(city["registers"])
                    q = urllib.parse.urlencode({"reason": f"窓口での本人確認の照会 A{i}-{n}"})
                    t = time.time()
                    status, body = api(server.base, "GET", f"/registers/{reg}?{q}", token=token, terminal=terminal)
                    tally.record("A", "view", status, body, time.time() - t)
                    if status == 200:
                        if isinstance(body, dict) and body.get("event") and body.get("id") == reg:
                            tally.ack(body["event"], "A", "A")
                        else:
                            tally.unexpected.append(("A", "view", status, "200 without event/id: " + str(body)[:200]))
            except Unreachable as e:
                tally.unreachable_unexpected.append(("A", "request", str(e)))
                time.sleep(0.2)

    threads = [threading.Thread(target=worker, args=(i, c), daemon=True) for i, c in enumerate(clerks)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: tally.acked_count() >= 30, "30 views before the other processes start", tally)
        before_cli = tally.acked_count()

        # New access events for an additional import: the clerks of the city, registers of the city, now.
        tag = "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(8))
        extra_path = os.path.join(tmp, "extra-access.jsonl")
        extra_ids = []
        now = time.time()
        with open(extra_path, "w", encoding="utf-8") as fh:
            for k in range(200):
                clerk = city["clerks"][k % len(city["clerks"])]
                office = next(a["office"] for a in clerk["assignments"] if a["duty"] == "koseki")
                at = time.strftime("%Y-%m-%dT%H:%M:%S+09:00", time.gmtime(now - 3600 + k + 9 * 3600))
                eid = f"XA{tag}{k:05d}"
                extra_ids.append(eid)
                fh.write(json.dumps({"type": "access", "id": eid, "at": at, "staff": clerk["id"], "office": office,
                                     "action": "view", "record": "current", "register": city["registers"][k],
                                     "reason": "追加取込の試験", "outcome": "ok", "terminal": "T-EXTRA-01"},
                                    ensure_ascii=False) + "\n")

        # Another shell: an import (new events + the whole city again) and an audit at the same time.
        t0 = time.time()
        imp = procs.popen(["import", "--store", store, "--key", city["key"], extra_path, *city["files"]], "import-a1.log")
        aud = procs.popen(["audit", "--store", store, "--format", "jsonl"], "audit-a1.log")
        imp_rc, aud_rc = imp.wait(timeout=300), aud.wait(timeout=300)
        imp_out, aud_out = read_text(imp.log_path), read_text(aud.log_path)
        info(f"import + audit side by side took {time.time() - t0:.1f} s while {tally.acked_count() - before_cli} views were acknowledged")
        m = re.search(r"imported ([\d,]+) records from ([\d,]+) lines.*?duplicates ([\d,]+), rejected ([\d,]+), conflicts ([\d,]+)",
                      imp_out)
        nums = [int(x.replace(",", "")) for x in m.groups()] if m else None
        check("A: import of new events + the city again, beside the server", imp_rc == 0 and nums is not None
              and nums[0] == len(extra_ids) and nums[2] == city["lines"] and nums[3] == 0 and nums[4] == 0,
              f"exit {imp_rc}; expected imported {len(extra_ids)}, duplicates {city['lines']}; got "
              + (f"imported {nums[0]}, lines {nums[1]}, duplicates {nums[2]}, rejected {nums[3]}, conflicts {nums[4]}"
                 if nums else imp_out[-600:]))
        check("A: audit beside the server (and the import)", aud_rc == 0,
              f"exit {aud_rc}; " + last_line(aud_out, "audit:"))

        # The same shell again: an incremental audit and a re-import of the new events (nothing changes).
        r = run("audit", "--store", store, "--format", "jsonl", cwd=tmp)
        check("A: incremental audit beside the server", r.returncode == 0,
              f"exit {r.returncode}; " + last_line(r.stderr + r.stdout, "audit:"))
        r = run("import", "--store", store, extra_path, cwd=tmp)
        m = re.search(r"imported ([\d,]+) records.*?duplicates ([\d,]+)", r.stdout + r.stderr)
        check("A: re-import of the new events is harmless", r.returncode == 0 and m is not None
              and m.group(1) == "0" and int(m.group(2).replace(",", "")) == len(extra_ids),
              f"exit {r.returncode}; " + last_line(r.stdout + r.stderr, "imported"))
        after_cli = tally.acked_count()
        wait_for(lambda: tally.acked_count() >= after_cli + 30, "30 more views after the other processes", tally)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=REQUEST_TIMEOUT + 5)

    # Afterwards the server still answers a clerk (a fresh sign-in, a search and a view).
    try:
        token, statuses = sign_in(server.base, city["clerks"][-1]["id"], "MST-A-99")
        s1, _ = api(server.base, "GET", "/registers?" + urllib.parse.urlencode({"name": city["surnames"][0]}), token=token)
        s2, body = api(server.base, "GET", f"/registers/{city['registers'][0]}?" +
                       urllib.parse.urlencode({"reason": "事後の動作確認"}), token=token)
        ok = all(200 <= st < 300 for _, st in statuses) and s1 == 200 and s2 == 200 and bool((body or {}).get("event"))
        if s2 == 200 and (body or {}).get("event"):
            tally.ack(body["event"], "A", "after")
        check("A: the server still answers a clerk afterwards", ok, f"login/ack {[st for _, st in statuses]}, search {s1}, view {s2}")
    except (Unreachable, RuntimeError) as e:
        check("A: the server still answers a clerk afterwards", False, str(e)[:300])

    lat = tally.latencies["A"]
    info(f"answers: {tally.summary()}; latency p50 {pct(lat, 50) * 1000:.0f} ms, p99 {pct(lat, 99) * 1000:.0f} ms, "
         f"max {max(lat or [0]) * 1000:.0f} ms")
    check("A: no 5xx at any point", not tally.server_errors, f"{len(tally.server_errors)} server errors "
          + str(tally.server_errors[:3]))
    check("A: every request answered 2xx (none failed, none refused)",
          not tally.unexpected and not tally.unreachable_unexpected,
          f"{sum(tally.statuses.values())} answers; refused {len(tally.unexpected)} {tally.unexpected[:3]}; "
          f"unanswered {len(tally.unreachable_unexpected)} {tally.unreachable_unexpected[:3]}")
    alive = server.proc.poll() is None
    rc = server.stop()
    check("A: the server ran throughout and stops cleanly on SIGTERM", alive and rc == 0, f"alive {alive}, exit {rc}")
    errors = server.error_lines()
    check("A: no errors in the server log", not errors, f"{len(errors)} lines " + str(errors[:3]))

    verify_ledger(store, "A", city)
    witness(store, tmp, "A", city)
    r = run("stats", "--store", store, "--format", "json", cwd=tmp)
    try:
        stats = json.loads(r.stdout)
        keys = {"offices": "office", "staff": "staff", "registers": "register", "persons": "person",
                "protections": "protection", "cases": "case", "self_reports": "self_report"}
        diffs = {k: (stats.get(k), city["counts"][t]) for k, t in keys.items() if stats.get(k) != city["counts"][t]}
        check("A: reference records unchanged by the re-import (akashi stats)", r.returncode == 0 and not diffs,
              f"access {stats.get('access')}, quarantined {stats.get('quarantined')}; differing {diffs}")
    except ValueError:
        check("A: akashi stats", False, r.stderr[-300:])

    exported = export_access_ids(store, tmp, "A")
    if exported is not None:
        acked = [e for e, _, _ in tally.acked]
        found, missing, twice = membership(acked, exported)
        check("A: every acknowledged view is in the export exactly once", not missing and not twice and len(acked) > 0,
              f"acknowledged {len(acked)}, found {found}, missing {len(missing)} {missing[:3]}, more than once {len(twice)}")
        found, missing, twice = membership(extra_ids, exported)
        check("A: every imported new event is in the export exactly once", not missing and not twice,
              f"imported {len(extra_ids)}, found {found}, missing {len(missing)}, more than once {len(twice)}")
        dup = [e for e, n in exported.items() if n > 1]
        check("A: no event ID twice in the export", not dup, f"{len(exported)} access events, {len(dup)} duplicated {dup[:3]}")


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


def last_line(text, prefix):
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    return lines[-1][:300] if lines else text.strip()[-300:]


def wait_for(condition, what, tally, timeout=PHASE_TIMEOUT):
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}; answers so far: {tally.summary()}")
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------------------------------
# Scenario B: two servers on one store, one killed


def published_size(server):
    """The size in the signed checkpoint a server publishes (GET /api/v1/ledger/checkpoint), or None."""
    try:
        with urllib.request.urlopen(server.base + "/api/v1/ledger/checkpoint", timeout=REQUEST_TIMEOUT) as r:
            text = r.read().decode()
        return int(text.splitlines()[1]), text
    except Exception:
        return None, None


def await_signed_checkpoint(server, above, origin, city, tally):
    """Waits (with traffic going on) until the server publishes a signed checkpoint larger than `above` (the servers
    sign while the ledger grows; both hold the same key, so which one signed it is not told); keeps it for the
    witness check. Returns its size."""
    t = time.time()
    found = {}

    def signed():
        size, text = published_size(server)
        if size is not None and size > above:
            found["size"], found["text"] = size, text
            return True
        time.sleep(0.25)
        return False

    try:
        wait_for(signed, f"{origin} to sign a checkpoint above {above}", tally, timeout=90)
    except RuntimeError as e:
        check(f"B: {origin}: a newer signed checkpoint while serving", False, str(e)[:300])
        return above
    city["checkpoints"].append((origin, found["text"]))
    info(f"{origin} published a signed checkpoint of size {found['size']} ({time.time() - t:.1f} s of waiting)")
    return found["size"]


def scenario_b(tmp, store, city, procs):
    print("\n=== Scenario B: two servers on one store, one killed with SIGKILL and restarted", flush=True)
    s1 = Server(procs, "B1", store, city["key"])
    s2 = Server(procs, "B2", store, city["key"])
    s1.start()
    s2.start()
    servers = {"B1": s1, "B2": s2}
    tally = Tally()
    stop = threading.Event()
    lock = threading.Lock()
    state = {"phase": "both", "b1_generation": 1, "b1_down": False, "think": THINK}
    start_size, _ = published_size(s1)

    def target(i):
        with lock:
            phase = state["phase"]
            if phase == "one":
                return "B2", phase, state["b1_generation"]
            return ("B1" if i % 2 == 0 else "B2"), phase, state["b1_generation"]

    def worker(i, clerk):
        rnd = random.Random(200 + i)
        terminal = f"MST-B-{i:02d}"
        sessions = {}  # (server, generation) -> token
        n = 0
        while not stop.is_set():
            name, phase, gen = target(i)
            key = (name, gen if name == "B1" else 1)
            base = servers[name].base
            try:
                if key not in sessions:
                    token, statuses = sign_in(base, clerk["id"], terminal)
                    for kind, st in statuses:
                        tally.record(name, kind, st)
                    sessions[key] = token
                n += 1
                reg = rnd.choice(city["registers"])
                q = urllib.parse.urlencode({"reason": f"窓口での本人確認の照会 B{i}-{n}"})
                t = time.time()
                status, body = api(base, "GET", f"/registers/{reg}?{q}", token=sessions[key], terminal=terminal)
                tally.record(name, "view", status, body, time.time() - t)
                if status == 200:
                    if isinstance(body, dict) and body.get("event") and body.get("id") == reg:
                        tally.ack(body["event"], name, phase)
                    else:
                        tally.unexpected.append((name, "view", status, "200 without event/id: " + str(body)[:200]))
                elif status == 401:
                    sessions.pop(key, None)  # counted as unexpected above; sign in again and go on
                with lock:
                    think = state["think"]
                if think:
                    stop.wait(think)
            except Unreachable as e:
                with lock:
                    expected = name == "B1" and gen == state["b1_generation"] and state["b1_down"]
                if expected:
                    with tally.lock:
                        tally.unreachable_expected += 1
                    sessions.pop(key, None)
                else:
                    tally.unreachable_unexpected.append((name, phase, str(e)[:200]))
                time.sleep(0.05)
            except RuntimeError as e:  # a refused sign-in
                tally.unexpected.append((name, "sign-in", 0, str(e)[:300]))
                time.sleep(0.5)

    threads = [threading.Thread(target=worker, args=(i, c), daemon=True) for i, c in enumerate(city["clerks"][:WORKERS])]
    t_start = time.time()
    for t in threads:
        t.start()
    kill_at = None
    try:
        wait_for(lambda: tally.acked_count() >= B_BEFORE_KILL, f"{B_BEFORE_KILL} views on both servers", tally)
        b1_size = await_signed_checkpoint(s1, start_size or 0, "B1 before the kill", city, tally)
        with lock:
            state["think"] = 0  # a burst, so that the kill finds requests in flight
        time.sleep(BURST)
        with lock:
            state["b1_down"] = True  # from here on, a request to B1 that gets no answer is the kill's doing
        s1.kill9()
        kill_at = time.time()
        in_b1 = tally.acked_count("B1")
        with lock:
            state["phase"] = "one"
            state["think"] = THINK
        info(f"killed B1 (pid {s1.proc.pid}) with SIGKILL after {kill_at - t_start:.1f} s: "
             f"{tally.acked_count()} views acknowledged so far ({in_b1} by B1); traffic goes on against B2")

        acked_at_kill = tally.acked_count()
        wait_for(lambda: tally.acked_count() >= acked_at_kill + B_WHILE_DOWN,
                 f"{B_WHILE_DOWN} views on B2 alone", tally)
        b2_size = await_signed_checkpoint(s2, b1_size, "B2 while B1 was down", city, tally)
        s1.start()
        with lock:
            state["b1_generation"] += 1
            state["b1_down"] = False
            state["phase"] = "restarted"
        info(f"restarted B1 on port {s1.port} after {time.time() - kill_at:.1f} s down; traffic on both again")
        wait_for(lambda: tally.acked_count("B1", "restarted") >= B_AFTER_RESTART,
                 f"{B_AFTER_RESTART} views on the restarted B1", tally)
        await_signed_checkpoint(s1, b2_size, "B1 after the restart", city, tally)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=REQUEST_TIMEOUT + 5)
    info(f"traffic took {time.time() - t_start:.1f} s with {len(threads)} workers")

    per = collections.Counter((s, p) for _, s, p in tally.acked)
    info("acknowledged views: " + ", ".join(f"{s}/{p} {n}" for (s, p), n in sorted(per.items())))
    info(f"answers: {tally.summary()}; requests lost to the kill (no answer, not acknowledged): {tally.unreachable_expected}")
    for name in ("B1", "B2"):
        lat = tally.latencies[name]
        info(f"{name} latency p50 {pct(lat, 50) * 1000:.0f} ms, p99 {pct(lat, 99) * 1000:.0f} ms, max {max(lat or [0]) * 1000:.0f} ms")

    check("B: no 5xx at any point", not tally.server_errors,
          f"{len(tally.server_errors)} server errors " + str(tally.server_errors[:3]))
    check("B: every answered request 2xx, and B2 never unreachable",
          not tally.unexpected and not tally.unreachable_unexpected,
          f"refused {len(tally.unexpected)} {tally.unexpected[:3]}; unanswered outside the kill "
          f"{len(tally.unreachable_unexpected)} {tally.unreachable_unexpected[:3]}")
    check("B: B2 served while B1 was down", per[("B2", "one")] >= B_WHILE_DOWN, f"{per[('B2', 'one')]} views")
    check("B: the restarted B1 serves again", per[("B1", "restarted")] >= B_AFTER_RESTART,
          f"{per[('B1', 'restarted')]} views")
    alive = s2.proc.poll() is None and s1.proc.poll() is None
    rcs = {n: s.stop() for n, s in servers.items()}
    check("B: both servers up at the end and stop cleanly on SIGTERM", alive and all(rc == 0 for rc in rcs.values()),
          f"alive {alive}, exit {rcs}")
    errors = s1.error_lines() + s2.error_lines()
    check("B: no errors in the server logs", not errors, f"{len(errors)} lines " + str(errors[:3]))

    verify_ledger(store, "B", city)
    witness(store, tmp, "B", city)
    exported = export_access_ids(store, tmp, "B")
    if exported is not None:
        acked = [e for e, _, _ in tally.acked]
        found, missing, twice = membership(acked, exported)
        dup_acked = [e for e, n in collections.Counter(acked).items() if n > 1]
        info(f"acknowledged {len(acked)}, found {found}, duplicates {len(twice)}, missing {len(missing)}")
        check("B: every acknowledged event is in the ledger exactly once (export)",
              len(acked) > 0 and not missing and not twice and not dup_acked,
              f"acknowledged {len(acked)}, found {found}, duplicates {len(twice)}, missing {len(missing)} {missing[:5]}, "
              f"an ID acknowledged twice {len(dup_acked)}")
        lost_before = [e for e, s, p in tally.acked if s == "B1" and p == "both"]
        _, miss_b1, _ = membership(lost_before, exported)
        check("B: the killed server's acknowledged views survived the kill", not miss_b1,
              f"B1 acknowledged {len(lost_before)} before the kill, missing {len(miss_b1)}")
        dup = [e for e, n in exported.items() if n > 1]
        check("B: no event ID twice in the export", not dup, f"{len(exported)} access events, {len(dup)} duplicated {dup[:3]}")


# ---------------------------------------------------------------------------------------------------------------


def main():
    if not os.path.exists(AKASHI):
        print(f"no akashi binary at {AKASHI} (set AKASHI_BIN)")
        return 2
    kind, where = store_location()
    tmp = tempfile.mkdtemp(prefix="akashi-multi-")
    WORKDIR["dir"] = tmp
    store = where(tmp)
    print(f"akashi {AKASHI}; store kind {kind}: {store}; temporary directory {tmp}", flush=True)
    procs = Procs(tmp)
    t0 = time.time()
    try:
        city = setup(tmp, store)
        for scenario in (scenario_a, scenario_b):
            try:
                scenario(tmp, store, city, procs)
            except Exception as e:  # a scenario that cannot go on is a failure; the next one still runs
                traceback.print_exc()
                check(f"{scenario.__name__} ran to the end", False, repr(e)[:500])
            finally:
                procs.stop_all()
    except Exception as e:
        traceback.print_exc()
        check("setup", False, repr(e)[:500])
    finally:
        procs.stop_all()
        left = [p.pid for p in procs.all if p.poll() is None]
        if left:
            print(f"FAIL  processes still running: {left}")
            RESULTS.append(("processes stopped", False))
        if os.environ.get("KEEP_TMP"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    failed = [n for n, ok in RESULTS if not ok]
    print(f"\n{len(RESULTS) - len(failed)} passed, {len(failed)} failed in {time.time() - t0:.0f} s ({kind})")
    print("multi-server test: " + ("FAILED" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
