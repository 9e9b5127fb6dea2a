#!/usr/bin/env python3
"""Fault injection (issue 18, "Prove, systematically", item 4): kill -9 of `serve` and of `import` at random (seeded,
printed) moments, a full disk, a read-only store, and a store copied while being written. Nothing acknowledged may be
lost, the ledger must verify after a restart, and the user must get a clear error, never a hang or a crash.

Written from the documentation only (README, docs/, openapi.yaml, `--help`, the other scripts), not from the Swift code.

Setup: a small generated city with the 2014 scenario (`akashi generate --scale 0.0005 --seed 7 --scenario osaka-2014`)
imported into a base store; passwords for a few clerks on register duty today; a ledger signing key outside the store
and a signed checkpoint of the imported ledger.

Part 1 — kill -9 of `akashi serve`, ROUNDS rounds on one store. Each round restarts the server (the restart is the
check that it comes back), a few clerk threads drive traffic through the JSON API — take in a certificate case for a
register (POST /cases with an Idempotency-Key), open the register for that case, search by a unique name, open another
register with a stated reason, issue the certificate (POST …/certificates with an Idempotency-Key) — and the server gets
SIGKILL at a seeded moment of the traffic (one round in ten: while it starts up, before any traffic). Acknowledged =
answered 2xx: a view or certificate by its access event ID (`event`), a search by its unique `name` (the query is in the
recorded access), a case by its ID. A creating POST that got no answer is sent again after the restart with the same
Idempotency-Key, path and body (api.md: "the first answer comes back … nothing is done twice"), during the next
round's traffic, and once more after the last restart if that answer was lost to a kill again: it must get a 201.
After every kill, with the server down: `akashi ledger verify` (against the published verifier key) passes and
`akashi export` holds every access acknowledged so far exactly once (no case gets two certificates). At the end: the
server serves again, stops cleanly on SIGTERM, the log extends the setup's signed checkpoint (`akashi ledger check`),
no 5xx and no request refused or unanswered while the server was up, no crash in any server log.

Part 2 — kill -9 of `akashi import`, ROUNDS rounds, each on a fresh store: the city's files plus a file of new access
events with three invalid lines and one conflicting line (every other round gzip-compressed), SIGKILL at a seeded moment
within the measured import time, then the same import again to completion. Checks: the second import finishes with exit
1 (some rejected), every line is accounted for (imported + duplicates + rejected + conflicts = lines), exactly the three
invalid lines rejected and the one conflict reported, each with its file and line; `akashi stats` gives the expected
count of every record type; the export holds every valid access exactly once and the first version of the conflicting
one; the ledger verifies. On PostgreSQL a round instead adds a batch of 3,000 new access events (with the same kinds of
bad lines) to one municipality that holds the city, and the checks are cumulative: every PostgreSQL import takes about
5 s, most of it after the data is in, so a round takes some 15 s there.

Part 3 — a full disk (root: tmpfs). (a) `akashi import` of a big file (120,000 access lines) onto a store on a small
tmpfs, once with 3 MB of room (3a) and once with room for 70 % of what the whole import takes (3a': it fails late, with
a big WAL behind it): exit ≠ 0 with a message naming the full disk, no crash, no hang; `stats` and `ledger verify`
while still full work or name the full disk; after growing the filesystem the same import completes, every line
exactly once, the ledger verifies. (b) `akashi serve` on a tmpfs filled to the last byte by a filler file while clerks
keep working: every request is answered (no hang, no dropped connection), a refused write gets the documented JSON
error body, the server log names the full disk, the server stays up, and once the filler is deleted it serves again
without a restart; every acknowledged access is in the export exactly once and the ledger verifies.

Part 4 — a read-only store (root): the store on a tmpfs remounted read-only, and the store owned by root used as
`nobody` (runuser). Reads (`stats`, `audit --no-run --all`, `ledger verify`, `export` to a writable directory): where
Python's own sqlite3 can read the store read-only (so a read can work), they must work; otherwise a clear error naming
the read-only store. Writes (`import`, `account set-password`, `serve` with a sign-in and a view): a clear error naming
the problem, no crash, no hang.

Part 5 — a store copied while being written: eight copies taken while `serve` takes traffic and three while an import
runs, with `cp -r` or file by file with a pause between the database and its WAL (either order, as a slow backup tool
would). Each copy is opened with `akashi ledger verify` and `akashi stats`: it must verify or fail with a clear error
(never a crash or a hang); the script reports which. The original keeps working: no failed request, the import
completes, every acknowledged access exactly once, the ledger verifies.

Parts 3 and 4 need root; without it they are skipped with a message. With AKASHI_TEST_STORE_KIND=postgres (and
AKASHI_TEST_POSTGRES, a base URL without password), parts 1 and 2 run on PostgreSQL (fresh municipalities) and parts
3-5, which are about the embedded store's directory, are skipped.

Options (environment overrides in brackets): --seed N [AKASHI_FAULT_SEED; default: a random seed, printed],
--rounds N [AKASHI_FAULT_ROUNDS, 50] (both kill parts), --parts serve,import,disk,readonly,copy [AKASHI_FAULT_PARTS],
AKASHI_FAULT_WORKERS [3 clerk threads], AKASHI_FAULT_TRAFFIC [1.5: longest traffic before a kill, seconds],
AKASHI_FAULT_PORT [18490: ports PORT … PORT+3 are used], AKASHI_FAULT_SCALE [0.0005], KEEP_TMP=1 keeps the temporary
directory. Binary: AKASHI_BIN. About 4 minutes on two busy cores (embedded store, every part).

    AKASHI_BIN=/work/bin-snap/akashi-b459646 python3 scripts/fault_test.py
    AKASHI_BIN=… python3 scripts/fault_test.py --seed 1234 --rounds 50 --parts serve

Exit status 0 only when every check passes; 1 otherwise (2 for an unusable configuration). Everything started is
stopped and everything mounted is unmounted, also on failure.
"""
import argparse
import collections
import gzip
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid

from akashi_scripts import city_staff, on_duty, store_location

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AKASHI = os.environ.get("AKASHI_BIN", os.path.join(ROOT, ".build", "debug", "akashi"))
PASSWORD = "fault-test-password-1"
ORIGIN = "fault-test.example/akashi"
SCALE = os.environ.get("AKASHI_FAULT_SCALE", "0.0005")
WORKERS = int(os.environ.get("AKASHI_FAULT_WORKERS", "3"))
TRAFFIC_MAX = float(os.environ.get("AKASHI_FAULT_TRAFFIC", "1.5"))
PORT = int(os.environ.get("AKASHI_FAULT_PORT", "18490"))
REQUEST_TIMEOUT = 30  # an HTTP request unanswered this long is a hang
CLI_TIMEOUT = 180  # a command running this long is a hang
PARTS = ["serve", "import", "disk", "readonly", "copy"]
PART_TITLES = {"setup": "setup", "serve": "part 1, kill -9 of serve", "import": "part 2, kill -9 of import",
               "disk": "part 3, full disk", "readonly": "part 4, read-only store",
               "copy": "part 5, store copied while written"}

# A Swift runtime trap, a signal or a backtrace: a crash, whatever the exit status says.
CRASH_RE = re.compile(r"Fatal error|Program crashed|Stack dump|Backtrace|Segmentation fault|Illegal instruction|"
                      r"SIGSEGV|SIGILL|SIGTRAP|SIGABRT|SIGBUS|Thread \d+ crashed|💣")
# (Not a bare "full": SQLite's own messages quote `PRAGMA synchronous = FULL`.)
FULL_RE = re.compile(r"disk is full|disk full|full disk|(file ?system|volume|device) is full|no space|ENOSPC", re.I)
READONLY_RE = re.compile(r"read-?only|readonly|permission|not writable|EROFS|EACCES", re.I)

RESULTS = []  # (part, name, ok, detail)
STATE = {"part": "setup", "tmp": None, "seed": None, "rounds": None}


def check(name, ok, detail=""):
    RESULTS.append((STATE["part"], name, bool(ok), detail))
    print(f"{'PASS' if ok else 'FAIL'}  {name}" + (f"  [{detail}]" if detail else ""), flush=True)
    return ok


def info(text):
    print(f"      {text}", flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Commands


class Outcome:
    def __init__(self, args, rc, out, err, secs, hung):
        self.args, self.rc, self.stdout, self.stderr, self.secs, self.hung = args, rc, out, err, secs, hung
        self.text = (out or "") + (err or "")

    @property
    def crashed(self):
        return (self.rc is not None and (self.rc < 0 or self.rc >= 128)) or bool(CRASH_RE.search(self.text))

    @property
    def message(self):
        """The last non-empty line the command printed (its error, or its summary)."""
        lines = [line for line in self.text.splitlines() if line.strip()]
        return lines[-1][:400] if lines else ""

    def describe(self):
        if self.hung:
            return f"HUNG (no exit within {self.secs:.0f} s)"
        return f"exit {self.rc} in {self.secs:.1f} s: {self.message!r}"

    def clear_error(self, names=None):
        """Failed the way a user can act on: exit status ≠ 0, no crash, no hang, a message (naming the problem when
        `names` is given)."""
        return (not self.hung and self.rc not in (None, 0) and not self.crashed and bool(self.message)
                and (names is None or bool(names.search(self.text))))


def run(*args, timeout=CLI_TIMEOUT, stdin=None, user=None, cwd=None):
    """Runs akashi (as `user` through runuser when given) in its own process group; a run past `timeout` is killed
    (the whole group) and reported as hung."""
    cmd = [AKASHI, *args]
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    t = time.time()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd or STATE["tmp"],
                         start_new_session=True)
    try:
        out, err = p.communicate(input=stdin, timeout=timeout)
        return Outcome(args, p.returncode, out, err, time.time() - t, False)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
        return Outcome(args, None, out, err, time.time() - t, True)


class Procs:
    """Every long-running process the script starts, so that all of them are stopped whatever happens."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.all = []

    def popen(self, args, log_name, user=None):
        log_path = os.path.join(self.tmp, "logs", log_name)
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        cmd = [AKASHI, *args]
        if user:
            cmd = ["runuser", "-u", user, "--", *cmd]
        with open(log_path, "ab") as log:
            p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.tmp,
                                 start_new_session=True)
        p.log_path = log_path
        self.all.append(p)
        return p

    def stop_all(self):
        for p in self.all:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self.all:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


class Server:
    """One `akashi serve` on a fixed port; killed with SIGKILL and restarted on the same port."""

    def __init__(self, procs, name, store, key, port, user=None):
        self.procs, self.name, self.store, self.key, self.port, self.user = procs, name, store, key, port, user
        self.base = f"http://127.0.0.1:{port}"
        self.proc = None
        self.starts = 0
        self.logs = []

    def spawn(self):
        self.starts += 1
        args = ["serve", "--store", self.store, "--port", str(self.port)]
        if self.key:
            args += ["--key", self.key]
        self.proc = self.procs.popen(args, f"server-{self.name}-{self.starts}.log", user=self.user)
        self.logs.append(self.proc.log_path)
        return self.proc

    def wait_ready(self, timeout=60):
        """(True, seconds) once /healthz answers 200; (False, why) if the process exits or the time runs out."""
        t = time.time()
        while time.time() - t < timeout:
            if self.proc.poll() is not None:
                return False, f"exited with {self.proc.returncode}: {self.log_tail(600)!r}"
            try:
                if urllib.request.urlopen(self.base + "/healthz", timeout=2).status == 200:
                    return True, time.time() - t
            except Exception:
                time.sleep(0.05)
        return False, f"no answer on /healthz within {timeout} s: {self.log_tail(600)!r}"

    def start(self, timeout=60):
        self.spawn()
        return self.wait_ready(timeout)

    def kill9(self):
        try:
            os.kill(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def stop(self):
        """SIGTERM (a graceful stop); returns the exit status, or a string when it had to be killed."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "killed after 30 s of SIGTERM"

    def log_tail(self, n=1500):
        return read_text(self.proc.log_path)[-n:] if self.proc else ""

    def crash_lines(self):
        lines = []
        for path in self.logs:
            lines += [f"{os.path.basename(path)}: {line.strip()}" for line in read_text(path).splitlines()
                      if CRASH_RE.search(line) or " critical " in line]
        return lines

    def error_lines(self):
        lines = []
        for path in self.logs:
            lines += [f"{os.path.basename(path)}: {line.strip()[:300]}" for line in read_text(path).splitlines()
                      if line.split(" ", 2)[1:2] in (["error"], ["critical"]) or "500 Internal Server Error" in line]
        return lines


# ---------------------------------------------------------------------------------------------------------------
# The JSON API


class Unreachable(Exception):
    """No HTTP answer at all (connection refused or reset, timeout)."""


def api(base, method, path, body=None, token=None, terminal=None, key=None, timeout=REQUEST_TIMEOUT):
    """One request; returns (status, parsed JSON or None, headers). Raises Unreachable when no HTTP answer came."""
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else (b"" if method == "POST" else None)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    if terminal:
        headers["X-Akashi-Terminal"] = terminal
    if key:
        headers["Idempotency-Key"] = key
    req = urllib.request.Request(base + "/api/v1" + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, text, hdrs = r.status, r.read().decode("utf-8", "replace"), dict(r.headers)
    except urllib.error.HTTPError as e:
        status, text, hdrs = e.code, e.read().decode("utf-8", "replace"), dict(e.headers or {})
    except Exception as e:  # URLError, ConnectionError, RemoteDisconnected, timeout
        raise Unreachable(repr(e)[:200]) from None
    try:
        return status, (json.loads(text) if text else None), hdrs
    except ValueError:
        return status, {"_raw": text[:300]}, hdrs


def error_code(body):
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"].get("code")
    return None


def clear_error_body(body):
    """The documented error body: {"error":{"code","message"}} with a message."""
    return isinstance(body, dict) and isinstance(body.get("error"), dict) and bool(body["error"].get("code")) \
        and bool(body["error"].get("message"))


def sign_in(base, staff_id, terminal):
    """Login and banner acknowledgement; returns the token. Raises RuntimeError on a refusal, Unreachable."""
    for attempt in range(8):
        status, body, _ = api(base, "POST", "/login", {"staff": staff_id, "password": PASSWORD}, terminal=terminal)
        if status == 200 and isinstance(body, dict) and body.get("token"):
            break
        if error_code(body) not in ("signin_busy", "signin_throttled"):  # 4xx a client may retry
            raise RuntimeError(f"login {staff_id}: {status} {str(body)[:200]}")
        time.sleep(0.5 * (attempt + 1))
    else:
        raise RuntimeError(f"login {staff_id}: still busy after 8 attempts")
    token = body["token"]
    status, body, _ = api(base, "POST", "/banner/acknowledge", token=token, terminal=terminal)
    if status != 204:
        raise RuntimeError(f"banner acknowledge {staff_id}: {status} {str(body)[:200]}")
    return token


class Ack:
    """An acknowledged (2xx) request and how to find what it recorded: kind `event` (a view or print: its access event
    ID), `search` (its unique name), `case` (its case ID), `cert` (a certificate: its event ID; `case` beside it)."""
    __slots__ = ("kind", "ident", "label", "case")

    def __init__(self, kind, ident, label, case=None):
        self.kind, self.ident, self.label, self.case = kind, ident, label, case

    def __repr__(self):
        return f"{self.kind}:{self.ident}@{self.label}"


class Recorder:
    """Every answer clerks got, thread-safe. `state["phase"]` labels each answer; `state["killed"]` is set just before a
    server is killed, so that a request then left unanswered counts as lost to the kill, not as a failure."""

    def __init__(self):
        self.lock = threading.Lock()
        self.state = {"phase": "", "killed": False}
        self.acks = []
        self.answers = collections.Counter()  # (phase, op, status) -> n
        self.refused = []  # (phase, op, status, body): answered, but neither 2xx nor expected
        self.server_errors = []  # (phase, op, status, body): 5xx
        self.unclear = []  # (phase, op, status, body): an error without the documented error body
        self.unreachable = []  # (phase, op, why): no answer while the server should have been up
        self.lost = collections.Counter()  # phase -> requests lost to a kill
        self.pending = []  # creating POSTs lost to a kill: sent again after the restart with the same key
        self.resent = []  # (label, pending POST, outcome, seconds) of every one sent again
        self.deferred = []  # re-sent ones lost to a kill again: re-sent once more at the end
        self.ok_after = collections.Counter()  # phase -> 2xx answers

    def phase(self):
        with self.lock:
            return self.state["phase"]

    def ack(self, kind, ident, case=None, label=None):
        with self.lock:
            self.acks.append(Ack(kind, ident, label or self.state["phase"], case))

    def answered(self, op, status, body):
        with self.lock:
            phase = self.state["phase"]
            self.answers[(phase, op, status)] += 1
            if 200 <= status < 300:
                self.ok_after[phase] += 1
                return
            if status >= 500:
                self.server_errors.append((phase, op, status, str(body)[:200]))
            if not clear_error_body(body):
                self.unclear.append((phase, op, status, str(body)[:200]))
            self.refused.append((phase, op, status, str(body)[:200]))

    def no_answer(self, op, why, post=None):
        with self.lock:
            phase = self.state["phase"]
            if self.state["killed"]:
                self.lost[phase] += 1
                if post is not None:
                    self.pending.append(post)
            else:
                self.unreachable.append((phase, op, why))

    def acks_of(self, label=None):
        with self.lock:
            return [a for a in self.acks if label is None or a.label == label]

    def summary(self):
        by_op = collections.Counter()
        for (_, op, status), n in self.answers.items():
            by_op[f"{op} {status}"] += n
        return ", ".join(f"{k}: {v}" for k, v in sorted(by_op.items()))


def clerk_work(base, token, terminal, rng, rec, stop, registers, tag):
    """One clerk's loop until `stop`: take in a certificate case for a register, open the register for it, search a
    unique name, open another register with a stated reason, issue the certificate; then the next case."""
    n = 0
    case = None

    def post(op, path, body):
        key = uuid.uuid4().hex  # 32 characters: a valid Idempotency-Key
        pending = {"op": op, "path": path, "body": body, "key": key, "token": token, "terminal": terminal}
        try:
            status, answer, _ = api(base, "POST", path, body, token=token, terminal=terminal, key=key)
        except Unreachable as e:
            rec.no_answer(op, str(e), post=pending)
            return None, None
        rec.answered(op, status, answer)
        return status, answer

    def get(op, path):
        try:
            status, answer, _ = api(base, "GET", path, token=token, terminal=terminal)
        except Unreachable as e:
            rec.no_answer(op, str(e))
            return None, None
        rec.answered(op, status, answer)
        return status, answer

    while not stop.is_set():
        n += 1
        if case is None:
            reg = rng.choice(registers)
            status, body = post("case", "/cases", {"kind": "certificate.full", "requester": "self",
                                                   "requesterName": "試験 太郎", "registers": [reg]})
            if status == 201 and isinstance(body, dict) and body.get("id"):
                case = (body["id"], reg)
                rec.ack("case", body["id"])
            else:
                time.sleep(0.05)  # refused or unanswered: do not hammer
            continue
        cid, reg = case
        status, body = get("view", f"/registers/{reg}?" + urllib.parse.urlencode({"case": cid}))
        if status == 200 and isinstance(body, dict) and body.get("event") and body.get("id") == reg:
            rec.ack("event", body["event"])
        elif status == 200:
            rec.answered("view-body", 599, {"_raw": "200 without event/id: " + str(body)[:150]})
        if stop.is_set():
            break
        name = f"FT{tag}N{n}"
        status, body = get("search", "/registers?" + urllib.parse.urlencode({"name": name}))
        if status == 200 and isinstance(body, dict) and "results" in body:
            rec.ack("search", name)
        if stop.is_set():
            break
        other = rng.choice(registers)
        status, body = get("reason-view", f"/registers/{other}?" +
                           urllib.parse.urlencode({"reason": f"窓口での本人確認の照会 {tag}-{n}"}))
        if status == 200 and isinstance(body, dict) and body.get("event") and body.get("id") == other:
            rec.ack("event", body["event"])
        if stop.is_set():
            break
        status, body = post("cert", f"/registers/{reg}/certificates", {"case": cid, "copies": 1})
        if status == 201 and isinstance(body, dict) and body.get("event"):
            rec.ack("cert", body["event"], case=cid)
        case = None  # one certificate request a case (answered or not): a second print of a case is a duplicate


def resend(base, rec, p, label):
    """One more try of a creating POST that got no answer (lost to a kill): the same Idempotency-Key, path and body,
    as api.md describes for a lost answer. The outcome goes to `rec.resent`; an answer lost to another kill puts it
    back among the pending ones (it is tried again after the next restart)."""
    t = time.time()
    try:
        status, body, hdrs = api(base, "POST", p["path"], p["body"], token=p["token"], terminal=p["terminal"],
                                 key=p["key"])
    except Unreachable as e:
        with rec.lock:
            if rec.state["killed"]:
                rec.deferred.append(p)  # lost to this round's kill too: tried once more after the last restart
            else:
                rec.unreachable.append((rec.state["phase"], "resend " + p["op"], str(e)[:200]))
        return
    secs = time.time() - t
    if status == 201 and isinstance(body, dict):
        outcome = "201 replayed" if hdrs.get("Idempotent-Replayed") == "true" else "201 done now"
        if p["op"] == "case" and body.get("id"):
            rec.ack("case", body["id"], label=label)
        elif p["op"] == "cert" and body.get("event"):
            rec.ack("cert", body["event"], case=p["body"]["case"], label=label)
        else:
            outcome = f"201 without an ID: {str(body)[:150]}"
    else:
        outcome = f"{status} {error_code(body) or str(body)[:200]}"
    with rec.lock:
        rec.resent.append((label, p, outcome, secs))


def resend_all(base, rec, label, parallel=32, deferred=False):
    """Re-sends every pending POST (with `deferred`, also those re-sent before and lost to a kill again), at most
    `parallel` at once; returns the threads (to join)."""
    with rec.lock:
        pending, rec.pending = rec.pending, []
        if deferred:
            pending, rec.deferred = pending + rec.deferred, []
    gate = threading.Semaphore(parallel)

    def one(p):
        with gate:
            resend(base, rec, p, label)

    threads = [threading.Thread(target=one, args=(p,), daemon=True) for p in pending]
    for t in threads:
        t.start()
    return threads


# ---------------------------------------------------------------------------------------------------------------
# What the store holds


class Exported:
    """An `akashi export` of a store: access IDs, unique search names, case IDs, certificates per case."""

    def __init__(self, out):
        self.access = collections.Counter()
        self.search_names = collections.Counter()
        self.prints_per_case = collections.Counter()
        self.cases = set()
        self.records = collections.Counter()  # type -> n
        self.first = {}  # access id -> record
        for name in sorted(os.listdir(out)):
            if not (name.endswith(".jsonl") or name.endswith(".jsonl.gz")):
                continue
            opener = gzip.open if name.endswith(".gz") else open
            with opener(os.path.join(out, name), "rt", encoding="utf-8") as fh:
                for line in fh:
                    if not line.strip():
                        continue
                    record = json.loads(line)
                    kind = record.get("type")
                    self.records[kind] += 1
                    if kind == "access":
                        self.access[record["id"]] += 1
                        self.first.setdefault(record["id"], record)
                        if record.get("action") == "search" and isinstance(record.get("query"), dict):
                            q = record["query"].get("name")
                            if isinstance(q, str) and q.startswith("FT"):
                                self.search_names[q] += 1
                        if record.get("action") == "print" and record.get("case"):
                            self.prints_per_case[record["case"]] += 1
                    elif kind == "case":
                        self.cases.add(record["id"])

    def count(self, ack):
        if ack.kind in ("event", "cert"):
            return self.access[ack.ident]
        if ack.kind == "search":
            return self.search_names[ack.ident]
        return 1 if ack.ident in self.cases else 0


def export_store(store, label):
    out = os.path.join(STATE["tmp"], f"export-{label}")
    shutil.rmtree(out, ignore_errors=True)
    r = run("export", "--store", store, "--out", out)
    if r.rc != 0:
        return None, r
    try:
        return Exported(out), r
    finally:
        shutil.rmtree(out, ignore_errors=True)


def ack_problems(acks, exported):
    """(missing, more than once, cases with more than one certificate) for the acknowledged requests."""
    seen = set()
    missing, twice = [], []
    for a in acks:
        if (a.kind, a.ident) in seen:
            continue
        seen.add((a.kind, a.ident))
        n = exported.count(a)
        if n == 0:
            missing.append(a)
        elif n > 1:
            twice.append(a)
    cert_cases = {a.case for a in acks if a.kind == "cert"} | {a.ident for a in acks if a.kind == "case"}
    double = [c for c in cert_cases if exported.prints_per_case[c] > 1]
    return missing, twice, double


def verify(store, ctx):
    r = run("ledger", "verify", "--store", store, "--verifier-key", ctx["verifier"], timeout=600)
    return r.rc == 0 and not r.hung and not r.crashed, r


# ---------------------------------------------------------------------------------------------------------------
# Setup


def read_jsonl(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def ports_in_use(first, count=4):
    """The ports among PORT … PORT+3 that something already listens on (a server found there would be taken for ours)."""
    import socket
    busy = []
    for port in range(first, first + count):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                busy.append(port)
    return busy


def setup(tmp, kind, where):
    STATE["part"] = "setup"
    print("\n=== setup", flush=True)
    busy = ports_in_use(PORT)
    if not check("setup: the test's ports are free", not busy,
                 f"in use: {busy}; choose others with AKASHI_FAULT_PORT" if busy else f"{PORT}…{PORT + 3}"):
        raise RuntimeError("ports in use")
    city_dir = os.path.join(tmp, "city")
    r = run("generate", "--out", city_dir, "--scale", SCALE, "--seed", "7", "--scenario", "osaka-2014")
    if not check("setup: generate a small city (with the 2014 scenario)", r.rc == 0, r.describe()):
        raise RuntimeError("generate failed")
    files = sorted(os.path.join(city_dir, f) for f in os.listdir(city_dir)
                   if f.endswith(".jsonl") or f.endswith(".jsonl.gz"))
    counts = collections.Counter()
    access_ids = []
    for f in files:
        for rec in read_jsonl(f):
            counts[rec["type"]] += 1
            if rec["type"] == "access":
                access_ids.append(rec["id"])
    today = time.strftime("%Y-%m-%d")
    clerks = [s for s in city_staff(files) if s["role"] == "clerk" and on_duty(s, today)]
    if not check("setup: clerks on register duty today", len(clerks) >= WORKERS + 1, f"{len(clerks)}"):
        raise RuntimeError("not enough clerks on duty")
    clerks = clerks[:WORKERS + 1]
    # A register with a member under VIP protection needs a supervisor's approval for every record (the two-person
    # rule, added after this script was written); the clerks' traffic here carries none, so it uses only the others.
    vip = {p["person"] for p in read_jsonl(os.path.join(city_dir, "protections.jsonl")) if p.get("kind") == "vip"}
    vip_registers = {p["register"] for p in read_jsonl(os.path.join(city_dir, "persons.jsonl"))
                     if p["id"] in vip and p.get("register")}
    registers = [r["id"] for r in read_jsonl(os.path.join(city_dir, "registers.jsonl"))
                 if r["id"] not in vip_registers and not vip.intersection(r.get("members") or [])]
    key = os.path.join(tmp, "keys", "ledger.key")
    os.makedirs(os.path.dirname(key), exist_ok=True)
    r = run("ledger", "keygen", "--name", ORIGIN, "--out", key)
    verifier = r.stdout.strip().splitlines()[-1] if r.rc == 0 and r.stdout.strip() else ""
    if not check("setup: ledger signing key (outside the store)", r.rc == 0 and verifier.startswith(ORIGIN + "+"),
                 verifier or r.describe()):
        raise RuntimeError("keygen failed")
    ctx = {"tmp": tmp, "kind": kind, "where": where, "city_dir": city_dir, "files": files, "counts": counts,
           "access_ids": access_ids, "clerks": clerks, "registers": registers, "key": key, "verifier": verifier,
           "lines": sum(counts.values())}
    ctx["base"] = city_store(ctx, "base")
    r = run("ledger", "checkpoint", "--store", ctx["base"], "--key", key)
    if not check("setup: a signed checkpoint of the imported ledger", r.rc == 0 and r.stdout.strip(), r.describe()):
        raise RuntimeError("checkpoint failed")
    ctx["checkpoint"] = os.path.join(tmp, "keys", "checkpoint-setup")
    with open(ctx["checkpoint"], "w", encoding="utf-8") as fh:
        fh.write(r.stdout)
    return ctx


def city_store(ctx, name):
    """A store holding the city with the clerks' passwords: a copy of the base store (embedded), or a fresh
    municipality with the city imported (PostgreSQL)."""
    if ctx["kind"] == "sqlite" and "base" in ctx:
        path = os.path.join(ctx["tmp"], "stores", name)
        shutil.copytree(ctx["base"], path)
        return path
    store = fresh_store(ctx, name)
    r = run("import", "--store", store, "--quiet", *ctx["files"])
    if not check(f"setup: import the city into the {name} store", r.rc == 0, r.describe()):
        raise RuntimeError("import failed")
    failed = []
    for s in ctx["clerks"]:
        r = run("account", "set-password", "--store", store, "--staff", s["id"], stdin=PASSWORD + "\n")
        if r.rc != 0:
            failed.append((s["id"], r.describe()))
    if not check(f"setup: passwords for {len(ctx['clerks'])} clerks ({name} store)", not failed, str(failed)):
        raise RuntimeError("set-password failed")
    return store


def fresh_store(ctx, name):
    """An empty store: a directory that does not exist yet, or a new municipality on the PostgreSQL server."""
    if ctx["kind"] == "sqlite":
        path = os.path.join(ctx["tmp"], "stores", name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path
    _, where = store_location("flt")
    return where(ctx["tmp"])


# ---------------------------------------------------------------------------------------------------------------
# Part 1: kill -9 of serve


def part_serve(ctx, seed, rounds):
    rng = random.Random(f"{seed}/serve")
    store = city_store(ctx, "serve")
    server = Server(ctx["procs"], "serve", store, ctx["key"], PORT)
    ok, how = server.start()
    if not check("1: the server starts on the city's store", ok, f"{how:.2f} s" if ok else how):
        return
    rec = Recorder()
    clerks = ctx["clerks"]
    tokens = {}
    try:
        for i, c in enumerate(clerks[:WORKERS]):
            tokens[i] = sign_in(server.base, c["id"], f"FAULT-{i}")
    except (RuntimeError, Unreachable) as e:
        check("1: clerks sign in", False, str(e))
        return
    problems = collections.defaultdict(list)  # round -> what went wrong there
    kills = []
    restart_times = []
    came_back = True
    t_part = time.time()
    for rnd in range(1, rounds + 1):
        label = f"r{rnd}"
        with rec.lock:
            rec.state["phase"], rec.state["killed"] = label, False
        if server.proc.poll() is not None:  # killed in the round before: restart, the check that it comes back
            ok, how = server.start()
            if not ok:
                came_back = False
                problems[rnd].append(f"the server did not come back after the kill: {how}")
                print(f"round {rnd:3d}: FAIL: the server did not come back: {how}", flush=True)
                break
            restart_times.append(how)
        if rng.random() < 0.1:
            # Kill while it starts up: opening the store, the background audit, the first checkpoint.
            server.stop()
            moment = rng.uniform(0.0, 0.6)
            server.spawn()
            time.sleep(moment)
            with rec.lock:
                rec.state["killed"] = True
            up = server.proc.poll() is None
            server.kill9()
            kills.append(("startup", moment))
            print(f"round {rnd:3d}: kill -9 {moment:.3f} s after the start (starting up"
                  + ("" if up else f"; it had already exited with {server.proc.returncode}") + ")", flush=True)
            if not up:
                problems[rnd].append(f"the server exited on its own while starting: {server.proc.returncode} "
                                     f"{server.log_tail(400)!r}")
        else:
            moment = rng.uniform(0.05, TRAFFIC_MAX)
            stop = threading.Event()
            fresh = rng.random() < 0.5  # one clerk signs in afresh in this round (a session written under the kill)
            resent_before = len(rec.resent)
            threads = resend_all(server.base, rec, label)
            n_resend = len(threads)
            for i in range(WORKERS):
                wrng = random.Random(f"{seed}/serve/{rnd}/{i}")

                def work(i=i, wrng=wrng):
                    token = tokens[i]
                    if fresh and i == 0:
                        try:
                            token = sign_in(server.base, clerks[WORKERS]["id"], "FAULT-S")
                            tokens[i] = token
                        except Unreachable as e:
                            rec.no_answer("sign-in", str(e))
                            return
                        except RuntimeError as e:
                            rec.answered("sign-in", 599, {"_raw": str(e)[:200]})
                            return
                    clerk_work(server.base, token, f"FAULT-{i}", wrng, rec, stop, ctx["registers"],
                               f"{seed}R{rnd}T{i}")

                threads.append(threading.Thread(target=work, daemon=True))
                threads[-1].start()
            time.sleep(moment)
            with rec.lock:
                rec.state["killed"] = True
            server.kill9()
            stop.set()
            for t in threads:
                t.join(timeout=REQUEST_TIMEOUT + 5)
            kills.append(("traffic", moment))
            acked = len(rec.acks_of(label))
            with rec.lock:
                answered = [o for lbl, _, o, _ in rec.resent[resent_before:]]
            print(f"round {rnd:3d}: kill -9 at {moment:.3f} s of traffic; {acked} acknowledged, {rec.lost[label]} lost "
                  f"in flight" + (", a fresh sign-in" if fresh else "")
                  + (f"; {n_resend} POSTs lost to the kill before re-sent: {dict(collections.Counter(answered))}"
                     + (f", {n_resend - len(answered)} unanswered before this kill (re-sent again at the end)"
                        if n_resend > len(answered) else "") if n_resend else ""), flush=True)
        crash = [line for line in server.crash_lines() if line.startswith(f"server-serve-{server.starts}.log")]
        if crash:
            problems[rnd].append(f"crash lines in the server log: {crash[:3]}")
        ok, r = verify(store, ctx)
        if not ok:
            problems[rnd].append(f"ledger verify after the kill: {r.describe()}")
        exported, r = export_store(store, "serve")
        if exported is None:
            problems[rnd].append(f"export after the kill: {r.describe()}")
        else:
            missing, twice, double = ack_problems(rec.acks_of(), exported)
            if missing or twice or double:
                problems[rnd].append(f"after the kill: {len(missing)} acknowledged missing {missing[:5]}, "
                                     f"{len(twice)} more than once {twice[:5]}, cases with two certificates "
                                     f"{double[:5]}")
        for p in problems[rnd]:
            print(f"           round {rnd} FAIL: {p[:600]}", flush=True)
    elapsed = time.time() - t_part

    # Back once more: the POSTs still without an answer re-sent, a clerk served, a clean stop.
    with rec.lock:
        rec.state["phase"], rec.state["killed"] = "final", False
    if came_back and server.proc.poll() is not None:
        ok, how = server.start()
        came_back = ok
        if ok:
            restart_times.append(how)
    check("1: the server comes back after every kill", came_back,
          f"{len(restart_times)} restarts, slowest {max(restart_times or [0]):.2f} s, mean "
          f"{sum(restart_times) / max(1, len(restart_times)):.2f} s" + ("" if came_back else f"; {how}"))
    if not came_back:
        return
    n_final = len(rec.pending) + len(rec.deferred)
    t = time.time()
    for th in resend_all(server.base, rec, "final", deferred=True):
        th.join(timeout=2 * REQUEST_TIMEOUT)
    info(f"the {n_final} POSTs still without an answer re-sent after the last restart ({time.time() - t:.1f} s)")
    served = False
    try:
        token = sign_in(server.base, clerks[0]["id"], "FAULT-FINAL")
        stop = threading.Event()
        t = threading.Thread(target=clerk_work, args=(server.base, token, "FAULT-FINAL", random.Random(f"{seed}/final"),
                                                      rec, stop, ctx["registers"], f"{seed}FINAL"), daemon=True)
        t.start()
        time.sleep(1.0)
        stop.set()
        t.join(timeout=REQUEST_TIMEOUT + 5)
        served = rec.ok_after["final"] > 0 and not any(x[0] == "final" for x in rec.refused)
    except (RuntimeError, Unreachable) as e:
        problems[rounds + 1].append(f"final sign-in: {e}")
    check("1: after the last kill the server serves a clerk", served,
          f"{rec.ok_after['final']} answers 2xx after the last restart")
    rc = server.stop()
    check("1: it stops cleanly on SIGTERM at the end", rc == 0, f"exit {rc}")

    n_traffic = sum(1 for k, _ in kills if k == "traffic")
    info(f"{len(kills)} kills in {elapsed:.0f} s ({n_traffic} during traffic, {len(kills) - n_traffic} while starting "
         f"up); answers: {rec.summary()}; requests lost to the kills: {sum(rec.lost.values())}")
    outcomes = collections.Counter(o if o.startswith("201 ") else " ".join(o.split(" ")[:2])
                                   for _, _, o, _ in rec.resent)
    bad = [(lbl, p, o, secs) for lbl, p, o, secs in rec.resent if not o.startswith("201 ")]
    slow = max((secs for *_, secs in rec.resent), default=0)
    check("1: a creating POST lost to a kill, re-sent with its Idempotency-Key after the restart, gets its answer "
          "(201, the first answer replayed or done now)", not bad and not rec.pending and not rec.deferred,
          f"re-sent {len(rec.resent)}: {dict(outcomes)}, slowest answer {slow:.1f} s; never answered "
          f"{len(rec.pending) + len(rec.deferred)}"
          + "".join(f"; e.g. {lbl}: POST {p['path']} Idempotency-Key {p['key']} body "
                    f"{json.dumps(p['body'], ensure_ascii=False)} → {o} after {secs:.1f} s" for lbl, p, o, secs in bad[:2]))
    failed_rounds = {r: ps for r, ps in problems.items() if ps}
    check(f"1: after every kill the ledger verifies and every access acknowledged so far is in it exactly once "
          f"({rounds} rounds)", not failed_rounds,
          "; ".join(f"round {r}: {ps[0][:400]}" for r, ps in sorted(failed_rounds.items())[:5]))
    ok, r = verify(store, ctx)
    check("1: akashi ledger verify at the end", ok, r.describe())
    r = run("ledger", "check", "--store", store, "--old", ctx["checkpoint"], "--verifier-key", ctx["verifier"])
    check("1: the log extends the checkpoint signed at setup (akashi ledger check)", r.rc == 0, r.describe())
    exported, r = export_store(store, "serve-final")
    if check("1: akashi export at the end", exported is not None, r.describe()):
        acks = rec.acks_of()
        missing, twice, double = ack_problems(acks, exported)
        kinds = collections.Counter(a.kind for a in acks)
        check("1: every acknowledged access is in the ledger exactly once (export)",
              acks and not missing and not twice,
              f"acknowledged {dict(kinds)}; missing {len(missing)} {missing[:5]}; more than once {len(twice)} "
              f"{twice[:5]}")
        check("1: no certificate issued twice for a case (a re-sent POST with its Idempotency-Key does nothing twice)",
              not double, f"{len(double)} cases with two prints {double[:5]}")
        dup = [e for e, n in exported.access.items() if n > 1]
        check("1: no access event ID twice in the export", not dup, f"{len(exported.access)} events, {dup[:5]}")
    check("1: no 5xx and no request refused while the server was up",
          not rec.server_errors and not rec.refused,
          f"5xx {rec.server_errors[:3]}; refused {len(rec.refused)} {rec.refused[:3]}")
    check("1: no request unanswered while the server was up (no hang)", not rec.unreachable,
          f"{len(rec.unreachable)} {rec.unreachable[:3]}")
    crash = server.crash_lines()
    check("1: no crash in any server log", not crash, f"{crash[:3]}")


# ---------------------------------------------------------------------------------------------------------------
# Part 2: kill -9 of import


SUMMARY_RE = re.compile(r"imported ([\d,]+) records from ([\d,]+) lines.*?duplicates ([\d,]+), rejected ([\d,]+), "
                        r"conflicts ([\d,]+)")


def import_summary(text):
    m = SUMMARY_RE.search(text)
    return [int(x.replace(",", "")) for x in m.groups()] if m else None


def make_extra(ctx, path, prefix="FX", n=300, gz=False):
    """n new access events, three invalid lines and one line reusing an earlier ID with other content (a conflict).
    Returns its description."""
    staff = ctx["clerks"][0]
    office = next(a["office"] for a in staff["assignments"] if a["duty"] == "koseki")
    lines, ids = [], []
    for k in range(n):
        eid = f"{prefix}{k:05d}"
        ids.append(eid)
        lines.append(json.dumps({"type": "access", "id": eid, "at": f"2026-11-{1 + k % 28:02d}T10:{k % 60:02d}:00+09:00",
                                 "staff": staff["id"], "office": office, "action": "view", "record": "current",
                                 "register": ctx["registers"][k % len(ctx["registers"])],
                                 "reason": f"取込の試験 {k}", "terminal": "T-FAULT-01"}, ensure_ascii=False))
    bad = {}
    bad[len(lines) + 1] = "not valid JSON"
    lines.append('{"type":"access","id":"%sBAD1",' % prefix)
    bad[len(lines) + 1] = '"at"'
    lines.append(json.dumps({"type": "access", "id": f"{prefix}BAD2", "staff": staff["id"], "action": "view",
                             "record": "current"}))
    bad[len(lines) + 1] = "control character"
    lines.append(json.dumps({"type": "access", "id": f"{prefix}BAD\u0001", "at": "2026-11-01T10:00:00+09:00",
                             "staff": staff["id"], "action": "view", "record": "current"}))
    conflict_line = len(lines) + 1
    lines.append(json.dumps({"type": "access", "id": ids[7], "at": "2026-11-08T10:07:00+09:00",
                             "staff": staff["id"], "office": office, "action": "view", "record": "current",
                             "register": ctx["registers"][0], "reason": "別の内容（衝突）", "terminal": "T-FAULT-01"},
                            ensure_ascii=False))
    data = ("\n".join(lines) + "\n").encode()
    if gz:
        with gzip.open(path, "wb", compresslevel=1) as fh:
            fh.write(data)
    else:
        with open(path, "wb") as fh:
            fh.write(data)
    return {"path": path, "ids": ids, "bad": bad, "conflict_line": conflict_line, "conflict_id": ids[7],
            "first_reason": "取込の試験 7", "lines": len(lines)}


STATS_KEYS = {"offices": "office", "staff": "staff", "registers": "register", "persons": "person",
              "protections": "protection", "cases": "case", "self_reports": "self_report", "access": "access"}


def examine_import(ctx, store, r, extra, total_lines, expected, expected_access, label):
    """Problems with a store after an import ran to completion: its report, stats, export and ledger."""
    problems = []
    nums = import_summary(r.text)
    if r.hung or r.crashed or r.rc != 1 or nums is None:
        problems.append(f"the completing import: {r.describe()} (expected exit 1: three lines rejected)")
    else:
        imported, lines, dups, rejected, conflicts = nums
        if lines != total_lines or imported + dups + rejected + conflicts != lines:
            problems.append(f"lines not accounted for: imported {imported} + duplicates {dups} + rejected "
                            f"{rejected} + conflicts {conflicts} != {lines} (file lines {total_lines})")
        if rejected != len(extra["bad"]) or conflicts != 1:
            problems.append(f"rejected {rejected} (expected {len(extra['bad'])}), conflicts {conflicts} (expected 1)")
        name = os.path.basename(extra["path"])
        for line, why in extra["bad"].items():
            if not re.search(rf"{re.escape(name)}:{line}: rejected: .*{re.escape(why)}", r.text):
                problems.append(f"no clear report of the invalid line {name}:{line} ({why}) in: {r.text[-600:]!r}")
        if not re.search(rf"{re.escape(name)}:{extra['conflict_line']}: conflict", r.text):
            problems.append(f"no clear report of the conflict on {name}:{extra['conflict_line']}")
    s = run("stats", "--store", store, "--format", "json")
    try:
        stats = json.loads(s.stdout)
        diffs = {k: (stats.get(k), expected.get(t, 0)) for k, t in STATS_KEYS.items()
                 if stats.get(k) != expected.get(t, 0)}
        if diffs:
            problems.append(f"akashi stats differs from the files (got, expected): {diffs}")
    except ValueError:
        problems.append(f"akashi stats: {s.describe()}")
    exported, e = export_store(store, label)
    if exported is None:
        problems.append(f"export: {e.describe()}")
    else:
        if exported.access != expected_access:
            missing = [i for i in expected_access if exported.access[i] == 0]
            twice = [i for i, n in exported.access.items() if n > 1]
            unexpected = [i for i in exported.access if i not in expected_access]
            problems.append(f"access events: {len(missing)} missing {missing[:5]}, {len(twice)} more than once "
                            f"{twice[:5]}, {len(unexpected)} unexpected {unexpected[:5]}")
        kept = exported.first.get(extra["conflict_id"], {}).get("reason")
        if kept != extra["first_reason"]:
            problems.append(f"the conflicting ID kept {kept!r}, not the first version {extra['first_reason']!r}")
    ok, v = verify(store, ctx)
    if not ok:
        problems.append(f"ledger verify: {v.describe()}")
    return problems


def part_import(ctx, seed, rounds):
    """Embedded store: every round imports the whole city plus the extra file into a fresh store (the kill can land
    while the store is being created). PostgreSQL: a fresh municipality costs seconds of migrations, so every round
    imports a new batch of access events (its own IDs, with invalid and conflicting lines) into one municipality that
    holds the city; the checks are then cumulative."""
    rng = random.Random(f"{seed}/import")
    fresh_each_round = ctx["kind"] == "sqlite"
    t_part = time.time()
    if fresh_each_round:
        plain_extra = make_extra(ctx, os.path.join(ctx["tmp"], "extra-access.jsonl"))
        gz_dir = os.path.join(ctx["tmp"], "gz")
        os.makedirs(gz_dir, exist_ok=True)
        gz_files = []
        for f in ctx["files"]:
            g = os.path.join(gz_dir, os.path.basename(f) + ".gz")
            with open(f, "rb") as src, gzip.open(g, "wb", compresslevel=1) as dst:
                shutil.copyfileobj(src, dst)
            gz_files.append(g)
        gz_extra = make_extra(ctx, os.path.join(gz_dir, "extra-access.jsonl.gz"), gz=True)
        expected = dict(ctx["counts"])
        expected["access"] = expected.get("access", 0) + len(plain_extra["ids"])
        expected_access = collections.Counter(ctx["access_ids"] + plain_extra["ids"])
        total = ctx["lines"] + plain_extra["lines"]

        def round_input(rnd):
            if rnd % 2 == 0:
                return fresh_store(ctx, "import-round"), gz_files + [gz_extra["path"]], gz_extra
            return fresh_store(ctx, "import-round"), ctx["files"] + [plain_extra["path"]], plain_extra

        store = fresh_store(ctx, "import-baseline")
        r = run("import", "--store", store, *ctx["files"], plain_extra["path"])
        span = r.secs
        problems = examine_import(ctx, store, r, plain_extra, total, expected, expected_access, "import-baseline")
    else:
        store = city_store(ctx, "import")
        expected = dict(ctx["counts"])
        expected_access = collections.Counter(ctx["access_ids"])
        batch_dir = os.path.join(ctx["tmp"], "batches")
        os.makedirs(batch_dir, exist_ok=True)

        def round_input(rnd):
            gz = rnd % 2 == 0
            extra = make_extra(ctx, os.path.join(batch_dir, f"batch-{rnd}.jsonl" + (".gz" if gz else "")),
                               prefix=f"FX{rnd}-", n=3000, gz=gz)
            expected["access"] = expected.get("access", 0) + len(extra["ids"])
            expected_access.update(extra["ids"])
            return store, [extra["path"]], extra

        _, files, extra = round_input(0)
        r = run("import", "--store", store, *files)
        span = r.secs
        problems = examine_import(ctx, store, r, extra, extra["lines"], expected, expected_access, "import-baseline")
    if not check("2: a complete import without a kill (baseline)", not problems,
                 f"{r.secs:.2f} s; {r.message}; " + "; ".join(problems)[:800]):
        return
    if fresh_each_round:
        shutil.rmtree(store, ignore_errors=True)

    failed = {}
    finished_first = 0
    for rnd in range(1, rounds + 1):
        store, files, extra = round_input(rnd)
        total = (ctx["lines"] if fresh_each_round else 0) + extra["lines"]
        moment = rng.uniform(0.0, span * 1.1)
        p = ctx["procs"].popen(["import", "--store", store, *files], f"import-kill-{rnd}.log")
        time.sleep(moment)
        finished = p.poll() is not None
        if not finished:
            os.kill(p.pid, signal.SIGKILL)
        p.wait()
        first = read_text(p.log_path)
        if finished:
            finished_first += 1
        r = run("import", "--store", store, *files)
        problems = []
        if finished and (p.returncode != 1 or CRASH_RE.search(first)):
            problems.append(f"the first import finished before the kill with exit {p.returncode}: {first[-300:]!r}")
        problems += examine_import(ctx, store, r, extra, total, expected, expected_access, "import-round")
        nums = import_summary(r.text)
        print(f"round {rnd:3d}: kill -9 at {moment:.3f} s of the import ({'gzip' if rnd % 2 == 0 else 'plain'})"
              + (" — it had already finished" if finished else "")
              + (f"; then imported {nums[0]}, duplicates {nums[2]}, rejected {nums[3]}, conflicts {nums[4]}"
                 if nums else f"; then {r.describe()}"), flush=True)
        for x in problems:
            print(f"           round {rnd} FAIL: {x[:600]}", flush=True)
        if problems:
            failed[rnd] = (moment, problems)
            if os.environ.get("KEEP_TMP") and fresh_each_round:
                shutil.copytree(store, os.path.join(ctx["tmp"], "stores", f"import-failed-{rnd}"))
        if fresh_each_round:
            shutil.rmtree(store, ignore_errors=True)
    info(f"{rounds} rounds in {time.time() - t_part:.0f} s; a complete import takes {span:.2f} s; "
         f"{rounds - finished_first} kills landed mid-import, {finished_first} after it had finished")
    check(f"2: after every kill the import completes: every valid line exactly once, the invalid and conflicting "
          f"lines reported with file and line, stats match, the ledger verifies ({rounds} rounds)", not failed,
          "; ".join(f"round {r} (kill at {m:.3f} s): {ps[0][:400]}" for r, (m, ps) in sorted(failed.items())[:5]))
    check("2: most kills landed while the import was running", finished_first <= rounds // 2,
          f"{rounds - finished_first} of {rounds}")


# ---------------------------------------------------------------------------------------------------------------
# Mounts (parts 3-5)


MOUNTS = []


def mount_tmpfs(path, size_mb):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs", path], check=True)
    MOUNTS.append(path)
    return path


def remount(path, options):
    return subprocess.run(["mount", "-o", f"remount,{options}", path], capture_output=True, text=True)


def unmount_all():
    for path in reversed(MOUNTS):
        r = subprocess.run(["umount", path], capture_output=True, text=True)
        if r.returncode != 0:
            subprocess.run(["umount", "-l", path], capture_output=True, text=True)
    MOUNTS.clear()


def dir_mb(path):
    total = 0
    for dirpath, _, names in os.walk(path):
        for n in names:
            try:
                total += os.path.getsize(os.path.join(dirpath, n))
            except OSError:
                pass
    return total / (1 << 20)


def fill(path):
    """Writes a filler file until the filesystem is full; returns its path and size."""
    filler = os.path.join(path, "filler")
    written = 0
    with open(filler, "wb", buffering=0) as fh:
        for chunk in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            block = b"\0" * chunk
            while True:
                try:
                    fh.write(block)
                    written += chunk
                except OSError:
                    break
    return filler, written


def big_access_file(ctx, path, n, prefix):
    staff = ctx["clerks"][0]
    office = next(a["office"] for a in staff["assignments"] if a["duty"] == "koseki")
    ids = []
    with open(path, "w", encoding="utf-8") as fh:
        for k in range(n):
            eid = f"{prefix}{k:07d}"
            ids.append(eid)
            fh.write(json.dumps({"type": "access", "id": eid, "at": f"2026-10-{1 + k % 28:02d}T09:{k % 60:02d}:00+09:00",
                                 "staff": staff["id"], "office": office, "action": "view", "record": "current",
                                 "register": ctx["registers"][k % len(ctx["registers"])],
                                 "reason": f"容量の試験のための取込 {k} " + "記録" * 20, "terminal": "T-FAULT-02"},
                                ensure_ascii=False) + "\n")
    return ids


class Traffic:
    """Clerk threads against one server until stopped."""

    def __init__(self, ctx, server, rec, seed, tag, tokens):
        self.stop = threading.Event()
        self.threads = []
        for i, token in enumerate(tokens):
            t = threading.Thread(target=clerk_work, args=(server.base, token, f"FAULT-{tag}-{i}",
                                                          random.Random(f"{seed}/{tag}/{i}"), rec, self.stop,
                                                          ctx["registers"], f"{seed}{tag}T{i}"), daemon=True)
            self.threads.append(t)
            t.start()

    def end(self):
        self.stop.set()
        stuck = 0
        for t in self.threads:
            t.join(timeout=REQUEST_TIMEOUT + 5)
            stuck += t.is_alive()
        return stuck


def sign_in_all(ctx, server, n=WORKERS):
    return [sign_in(server.base, c["id"], f"FAULT-{i}") for i, c in enumerate(ctx["clerks"][:n])]


# ---------------------------------------------------------------------------------------------------------------
# Part 3: a full disk


def part_disk(ctx, seed):
    base_mb = dir_mb(ctx["base"])
    # (a) akashi import onto a small filesystem: one where it fails early, one where a big WAL has grown first.
    big = os.path.join(ctx["tmp"], "big-access.jsonl")
    ids = big_access_file(ctx, big, 120000, "FD")
    footprint = None
    for tag in ("3a", "3a'"):
        # 3a: 3 MB of room; 3a': room for about 70 % of what the complete import took in 3a (WAL included), so that it
        # fails late, with a big WAL behind it.
        size = int(base_mb) + 3 if tag == "3a" else int(base_mb + 0.7 * (footprint - base_mb))
        mnt = mount_tmpfs(os.path.join(ctx["tmp"], f"mnt-full-import-{size}"), size)
        store = os.path.join(mnt, "store")
        shutil.copytree(ctx["base"], store)
        info(f"{tag}: store {base_mb:.1f} MB on a {size} MB tmpfs; importing {os.path.getsize(big) >> 20} MB "
             f"({len(ids)} access lines)")
        r = run("import", "--store", store, "--quiet", big, timeout=CLI_TIMEOUT)
        check(f"{tag}: import onto a full disk fails with a clear error naming it (exit ≠ 0, no crash, no hang)",
              r.clear_error(FULL_RE), r.describe())
        info(f"{tag}: left behind {[(n, os.path.getsize(os.path.join(store, n)) >> 10) for n in sorted(os.listdir(store))]} "
             f"(KiB); the import said exit {r.rc}, which import's --help documents as 'some rejected (the rest imported)'")
        for name, cmd in (("stats", ["stats", "--store", store, "--format", "json"]),
                          ("ledger verify", ["ledger", "verify", "--store", store, "--verifier-key", ctx["verifier"]])):
            s_ = run(*cmd)
            check(f"{tag}: `akashi {name}` while the disk is still full works or names the full disk",
                  (s_.rc == 0 and not s_.crashed) or s_.clear_error(FULL_RE), s_.describe())
        r = remount(mnt, "size=400m")
        info(f"{tag}: grew the filesystem to 400 MB: {r.returncode} {r.stderr.strip()}")
        r = run("import", "--store", store, "--quiet", big, timeout=CLI_TIMEOUT)
        nums = import_summary(r.text)
        if footprint is None:
            footprint = dir_mb(store)
        check(f"{tag}: after growing the filesystem the same import completes (exit 0)", r.rc == 0 and nums is not None,
              r.describe())
        ok, v = verify(store, ctx)
        check(f"{tag}: the ledger verifies after the full disk", ok, v.describe())
        exported, e = export_store(store, "full-import")
        if check(f"{tag}: akashi export after the full disk", exported is not None, e.describe()):
            missing = [i for i in ids if exported.access[i] == 0]
            twice = [i for i in ids if exported.access[i] > 1]
            base_ids = [i for i in ctx["access_ids"] if exported.access[i] != 1]
            check(f"{tag}: every line of the big file exactly once, the city's accesses untouched",
                  not missing and not twice and not base_ids,
                  f"missing {len(missing)} {missing[:3]}, more than once {len(twice)} {twice[:3]}, "
                  f"city accesses not exactly once {len(base_ids)}")
        shutil.rmtree(store, ignore_errors=True)
        subprocess.run(["umount", mnt], capture_output=True)
        MOUNTS.remove(mnt)

    # (b) akashi serve while the disk fills up.
    # Room for the traffic before the filler (the WAL grows under it), then a filler takes every byte left.
    mnt = mount_tmpfs(os.path.join(ctx["tmp"], "mnt-full-serve"), int(base_mb) + 64)
    store = os.path.join(mnt, "store")
    shutil.copytree(ctx["base"], store)
    server = Server(ctx["procs"], "full", store, ctx["key"], PORT + 1)
    ok, how = server.start()
    if not check("3b: the server starts on the small filesystem", ok, f"{how:.2f} s" if ok else how):
        return
    rec = Recorder()
    try:
        tokens = sign_in_all(ctx, server)
    except (RuntimeError, Unreachable) as e:
        check("3b: clerks sign in", False, str(e))
        return
    with rec.lock:
        rec.state["phase"] = "before"
    traffic = Traffic(ctx, server, rec, seed, "DF", tokens)
    time.sleep(1.0)
    filler, written = fill(mnt)
    with rec.lock:
        rec.state["phase"] = "full"
    info(f"filled the filesystem with a {written >> 10} KiB filler file after "
         f"{rec.ok_after['before']} answers 2xx; traffic goes on")
    t = time.time()
    while time.time() - t < 12:
        with rec.lock:
            errors = sum(n for (p, _, s), n in rec.answers.items() if p == "full" and s >= 400)
        if errors >= 30 and time.time() - t > 3:
            break
        time.sleep(0.2)
    full_secs = time.time() - t
    os.remove(filler)
    with rec.lock:
        rec.state["phase"] = "freeing"  # requests sent while full may still be answered for a moment
    t = time.time()
    time.sleep(1.0)
    with rec.lock:
        rec.state["phase"] = "freed"
    recovered = None
    while time.time() - t < 20:
        with rec.lock:
            recent = rec.ok_after["freed"]
        if recent >= 10:
            recovered = time.time() - t
            break
        time.sleep(0.2)
    time.sleep(0.5)
    stuck = traffic.end()
    alive = server.proc.poll() is None
    full_answers = collections.Counter((op, s) for (p, op, s), n in rec.answers.items() if p == "full" for _ in range(n))
    info(f"while full ({full_secs:.1f} s): {dict(full_answers)}; after freeing: "
         f"{dict(collections.Counter((op, s) for (p, op, s), n in rec.answers.items() if p == 'freed' for _ in range(n)))}")
    full_errors = [x for x in rec.refused if x[0] in ("full", "freeing")]
    info("error answers while full, e.g.: " + "; ".join(sorted({f'{op} {st} {b[:160]}' for _, op, st, b in full_errors})[:4]))
    check("3b: the server stays up while the disk is full", alive, f"exit {server.proc.returncode}: {server.log_tail(500)!r}"
          if not alive else "up")
    check("3b: every request answered while the disk is full (no hang, no dropped connection)",
          not rec.unreachable and not stuck, f"unanswered {len(rec.unreachable)} {rec.unreachable[:3]}; threads stuck {stuck}")
    statuses = collections.Counter(st for _, _, st, _ in full_errors)
    check("3b: a write the full disk refuses gets a clear error (api.md: errors are {\"error\":{\"code\",\"message\"}})",
          not rec.unclear, f"{len(rec.unclear)} of {len(full_errors)} errors without it, statuses "
          f"{dict(statuses)}, e.g. {rec.unclear[:1]}")
    logged = [line for line in read_text(server.proc.log_path).splitlines() if FULL_RE.search(line)]
    check("3b: the server log names the full disk (for the administrator)", logged,
          f"{len(logged)} lines, e.g. {logged[0][:200] if logged else ''}")
    check("3b: the full disk was felt (some request refused while full)", full_errors,
          f"{len(full_errors)} refused while full in {full_secs:.1f} s")
    check("3b: after freeing space it serves again without a restart", recovered is not None,
          f"{rec.ok_after['freed']} answers 2xx within 20 s" + (f", the 10th after {recovered:.1f} s" if recovered else ""))
    unexpected = [x for x in rec.refused if x[0] not in ("full", "freeing")]
    check("3b: no request refused before the disk filled or after it was freed", not unexpected,
          f"{len(unexpected)} {unexpected[:3]}")
    if not recovered and alive:
        server.stop()
        ok, how = server.start()
        check("3b: (after a restart) the server serves again", ok, str(how))
    rc = server.stop()
    check("3b: it stops cleanly on SIGTERM", rc == 0, f"exit {rc}; {server.log_tail(300)!r}" if rc else "exit 0")
    crash = server.crash_lines()
    check("3b: no crash in the server log", not crash, str(crash[:3]))
    ok, v = verify(store, ctx)
    check("3b: the ledger verifies after the full disk", ok, v.describe())
    exported, e = export_store(store, "full-serve")
    if check("3b: akashi export", exported is not None, e.describe()):
        acks = rec.acks_of()
        missing, twice, double = ack_problems(acks, exported)
        by_phase = collections.Counter(a.label for a in acks)
        check("3b: every acknowledged access exactly once (none lost to the full disk)",
              acks and not missing and not twice and not double,
              f"acknowledged {dict(by_phase)}; missing {len(missing)} {missing[:5]}; more than once {len(twice)}; "
              f"two certificates {double[:3]}")


# ---------------------------------------------------------------------------------------------------------------
# Part 4: a read-only store


def python_can_read(db, user=None, immutable=False):
    """Whether Python's sqlite3 can read the store's ledger read-only (as `user` when given): (count or None, how).
    `mode=ro` first; with `immutable`, also `immutable=1` (right only where nothing can write the store, such as a
    read-only filesystem, and only when no WAL holds part of it)."""
    import pwd
    import sqlite3
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child drops to `user` and tries
        os.close(r)
        out = []
        try:
            if user:
                pw = pwd.getpwnam(user)
                os.setgroups([])
                os.setgid(pw.pw_gid)
                os.setuid(pw.pw_uid)
            modes = ["mode=ro"] + (["immutable=1"] if immutable and not (os.path.exists(db + "-wal") and
                                                                       os.path.getsize(db + "-wal") > 0) else [])
            for q in modes:
                try:
                    c = sqlite3.connect(f"file:{db}?{q}", uri=True)
                    out = [q, str(c.execute("select count(*) from event").fetchone()[0])]
                    break
                except Exception as e:
                    out.append(f"{q}: {e}")
        except Exception as e:
            out.append(repr(e))
        os.write(w, "\n".join(out).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    lines = data.decode(errors="replace").splitlines()
    if len(lines) == 2 and lines[1].isdigit():
        return int(lines[1]), lines[0]
    return None, "; ".join(lines)


def readonly_checks(ctx, label, store, out_dir, user=None, port=PORT + 2, immutable=False):
    files = sorted(os.listdir(store))
    count, how = python_can_read(os.path.join(store, "akashi.sqlite"), user, immutable)
    readable = count is not None
    info(f"{label}: store files {files}; Python's sqlite3 " +
         (f"reads {count} ledger entries read-only ({how}): reads can work" if readable else f"cannot read it: {how}"))
    reads = {
        "stats": ["stats", "--store", store, "--format", "json"],
        "audit --no-run --all": ["audit", "--store", store, "--no-run", "--all", "--format", "jsonl"],
        "ledger verify": ["ledger", "verify", "--store", store, "--verifier-key", ctx["verifier"]],
        "export": ["export", "--store", store, "--out", os.path.join(out_dir, "export")],
    }
    for name, args in reads.items():
        r = run(*args, user=user, timeout=120)
        if readable:
            check(f"4 {label}: `akashi {name}` works on the read-only store", r.rc == 0 and not r.crashed and not r.hung,
                  r.describe())
        else:
            check(f"4 {label}: `akashi {name}` works or fails clearly, naming the read-only store",
                  (r.rc == 0 and not r.crashed) or r.clear_error(READONLY_RE), r.describe())
    one = os.path.join(out_dir, "one-office.jsonl")
    with open(one, "w", encoding="utf-8") as fh:
        fh.write('{"type":"office","code":"99999","name":"試験区役所"}\n')
    os.chmod(one, 0o644)
    r = run("import", "--store", store, one, user=user, timeout=120)
    check(f"4 {label}: `akashi import` refuses with a clear error naming the read-only store (no crash, no hang)",
          r.clear_error(READONLY_RE), r.describe())
    r = run("account", "set-password", "--store", store, "--staff", ctx["clerks"][0]["id"], stdin="another-password-22\n",
            user=user, timeout=60)
    check(f"4 {label}: `akashi account set-password` refuses with a clear error naming the read-only store",
          r.clear_error(READONLY_RE), r.describe())
    # serve: refuses to start with a clear error, or starts and answers a sign-in and a view with clear errors.
    server = Server(ctx["procs"], f"ro-{label}", store, None, port, user=user)
    t = time.time()
    server.spawn()
    ok, how = server.wait_ready(timeout=30)
    if not ok:
        log = server.log_tail(2000)
        exited = server.proc.poll() is not None
        rc = server.proc.returncode
        if not exited:
            server.stop()
        fake = Outcome(["serve"], rc if exited else None, log, "", time.time() - t, not exited)
        check(f"4 {label}: `akashi serve` does not start; then it exits with a clear error naming the read-only "
              f"store", exited and fake.clear_error(READONLY_RE), fake.describe())
        return
    info(f"{label}: `akashi serve` started on the read-only store ({how:.2f} s); trying a sign-in and a view")
    answers = []
    try:
        status, body, _ = api(server.base, "POST", "/login", {"staff": ctx["clerks"][0]["id"], "password": PASSWORD})
        answers.append(("login", status, body))
        if status == 200 and isinstance(body, dict) and body.get("token"):
            token = body["token"]
            status, body, _ = api(server.base, "POST", "/banner/acknowledge", token=token)
            answers.append(("banner/acknowledge", status, body))
            status, body, _ = api(server.base, "GET", f"/registers/{ctx['registers'][0]}?" +
                                  urllib.parse.urlencode({"reason": "読み取り専用の試験"}), token=token)
            answers.append(("view", status, body))
        hung = False
    except Unreachable as e:
        answers.append(("no answer", 0, str(e)))
        hung = True
    alive = server.proc.poll() is None
    rc = server.stop()
    desc = "; ".join(f"{op} {st} {str(b)[:150]}" for op, st, b in answers)
    written = [op for op, st, _ in answers if 200 <= st < 300]
    refused_clearly = all(clear_error_body(b) for op, st, b in answers if st >= 400)
    check(f"4 {label}: the server answers every request on the read-only store, with a clear error where it "
          f"cannot write (no hang, no crash)", not hung and alive and refused_clearly and
          any(st >= 400 for _, st, _ in answers), f"{desc}; alive {alive}, exit on SIGTERM {rc}; "
          f"2xx for {written}")
    crash = server.crash_lines()
    check(f"4 {label}: no crash in the server log", not crash, str(crash[:3]))


def part_readonly(ctx):
    # (a) a filesystem remounted read-only.
    mnt = mount_tmpfs(os.path.join(ctx["tmp"], "mnt-ro"), int(dir_mb(ctx["base"])) + 16)
    store = os.path.join(mnt, "store")
    shutil.copytree(ctx["base"], store)
    r = remount(mnt, "ro")
    if check("4: remount the store's filesystem read-only", r.returncode == 0, r.stderr.strip()):
        out = os.path.join(ctx["tmp"], "ro-out")
        os.makedirs(out, exist_ok=True)
        readonly_checks(ctx, "(ro mount)", store, out, immutable=True)
    # (b) a store owned by root, used as nobody.
    holder = os.path.join(ctx["tmp"], "ro-owned")
    os.makedirs(holder, exist_ok=True)
    store = os.path.join(holder, "store")
    shutil.copytree(ctx["base"], store)
    for dirpath, dirs, names in os.walk(store):
        os.chmod(dirpath, 0o755)
        for n in names:
            os.chmod(os.path.join(dirpath, n), 0o644)
    os.chmod(holder, 0o755)
    os.chmod(ctx["tmp"], 0o755)
    out = os.path.join(ctx["tmp"], "ro-out-nobody")
    os.makedirs(out, exist_ok=True)
    os.chmod(out, 0o777)
    readonly_checks(ctx, "(as nobody)", store, out, user="nobody", port=PORT + 2)


# ---------------------------------------------------------------------------------------------------------------
# Part 5: a store copied while being written


def copy_store(src, dest, method, gap):
    """Copies a live store directory: `cp -r` (one pass, as an operator would), or file by file with a pause between
    the main database and its WAL (a slow backup tool: the files then come from different moments), in either
    order. Returns a description."""
    t = time.time()
    if method == "cp -r":
        p = subprocess.run(["cp", "-r", src, dest], capture_output=True, text=True, timeout=120)
        return f"cp -r took {time.time() - t:.2f} s" + (f", exit {p.returncode}: {p.stderr.strip()[:100]}"
                                                         if p.returncode else "")
    os.makedirs(dest)
    names = sorted(os.listdir(src))
    db = [n for n in names if n == "akashi.sqlite"]
    rest = [n for n in names if n != "akashi.sqlite"]
    order = db + rest if method == "database first" else rest + db
    first = True
    for n in order:
        try:
            shutil.copy2(os.path.join(src, n), os.path.join(dest, n))
        except OSError:
            pass  # a WAL that went away meanwhile
        if first:
            time.sleep(gap)
            first = False
    return f"{method}, {gap:.2f} s between the first file and the others ({', '.join(order)})"


def examine_copy(ctx, copy):
    """(outcome word, detail, ok) for a copy opened with ledger verify and stats."""
    v = run("ledger", "verify", "--store", copy, "--verifier-key", ctx["verifier"], timeout=120)
    s = run("stats", "--store", copy, "--format", "json", timeout=60)
    if v.hung or s.hung:
        return "HANG", f"verify {v.describe()}; stats {s.describe()}", False
    if v.crashed or s.crashed:
        return "CRASH", f"verify {v.describe()}; stats {s.describe()}", False
    if v.rc == 0:
        ok = s.rc == 0
        return "verifies", f"{v.message}; stats {'ok' if s.rc == 0 else s.describe()}", ok
    ok = v.clear_error() and (s.rc == 0 or s.clear_error())
    return "clear error", f"verify {v.describe()}; stats {s.describe()}", ok


def part_copy(ctx, seed):
    rng = random.Random(f"{seed}/copy")
    store = city_store(ctx, "copy-live")
    server = Server(ctx["procs"], "copy", store, ctx["key"], PORT + 3)
    ok, how = server.start()
    if not check("5: the server starts", ok, f"{how:.2f} s" if ok else how):
        return
    rec = Recorder()
    try:
        tokens = sign_in_all(ctx, server)
    except (RuntimeError, Unreachable) as e:
        check("5: clerks sign in", False, str(e))
        return
    with rec.lock:
        rec.state["phase"] = "copying"
    traffic = Traffic(ctx, server, rec, seed, "CP", tokens)
    copies = []
    plan = ["cp -r"] * 5 + ["database first", "database first", "WAL first"]
    rng.shuffle(plan)
    os.makedirs(os.path.join(ctx["tmp"], "copies"), exist_ok=True)
    for k, method in enumerate(plan):
        pause = rng.uniform(0.1, 0.6)
        time.sleep(pause)
        dest = os.path.join(ctx["tmp"], "copies", f"serve-{k}")
        how = copy_store(store, dest, method, rng.uniform(0.1, 0.4))
        copies.append((f"copy {k} while serving ({pause:.3f} s after the last; {how})", dest))
    time.sleep(0.3)
    stuck = traffic.end()
    alive = server.proc.poll() is None
    rc = server.stop()

    # And copies while an import runs.
    istore = city_store(ctx, "copy-import")
    big = os.path.join(ctx["tmp"], "copy-access.jsonl")
    ids = big_access_file(ctx, big, 30000, "FC")
    imp = ctx["procs"].popen(["import", "--store", istore, "--quiet", big], "import-copy.log")
    t0 = time.time()
    for k, method in enumerate(["cp -r", "database first", "cp -r"]):
        time.sleep(rng.uniform(0.2, 0.6))
        dest = os.path.join(ctx["tmp"], "copies", f"import-{k}")
        at = time.time() - t0
        running = imp.poll() is None
        how = copy_store(istore, dest, method, rng.uniform(0.1, 0.3))
        copies.append((f"copy {k} during the import ({at:.2f} s in, the import "
                       f"{'running' if running else 'done'}; {how})", dest))
    try:
        imp_rc = imp.wait(timeout=CLI_TIMEOUT)
    except subprocess.TimeoutExpired:
        imp.kill()
        imp_rc = "hung"

    outcomes = collections.Counter()
    bad = []
    for what, dest in copies:
        word, detail, ok = examine_copy(ctx, dest)
        outcomes[word] += 1
        info(f"{what}: {word.upper()}: {detail[:400]}")
        if not ok:
            bad.append(f"{what}: {word}: {detail[:300]}")
        shutil.rmtree(dest, ignore_errors=True)
    check("5: every copy taken while written verifies or fails with a clear error (no crash, no hang)", not bad,
          f"{dict(outcomes)}; " + "; ".join(bad[:3]))
    check("5: the original server kept serving while being copied (no request refused or unanswered)",
          alive and not stuck and not rec.refused and not rec.unreachable,
          f"alive {alive}; answers {rec.summary()}; refused {rec.refused[:3]}; unanswered {rec.unreachable[:3]}")
    check("5: it stops cleanly on SIGTERM", rc == 0, f"exit {rc}")
    ok, v = verify(store, ctx)
    check("5: the original's ledger verifies", ok, v.describe())
    exported, e = export_store(store, "copy-live")
    if check("5: akashi export of the original", exported is not None, e.describe()):
        missing, twice, double = ack_problems(rec.acks_of(), exported)
        check("5: every acknowledged access exactly once in the original", rec.acks and not missing and not twice,
              f"{len(rec.acks)} acknowledged; missing {len(missing)} {missing[:3]}; more than once {len(twice)}")
    log = read_text(imp.log_path)
    check("5: the import being copied completes", imp_rc == 0, f"exit {imp_rc}: {log.strip()[-300:]!r}")
    ok, v = verify(istore, ctx)
    check("5: the imported store's ledger verifies", ok, v.describe())
    exported, e = export_store(istore, "copy-import")
    if exported is not None:
        missing = [i for i in ids if exported.access[i] != 1]
        check("5: every imported line exactly once", not missing, f"{len(missing)} not exactly once {missing[:3]}")


# ---------------------------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description="Fault injection against akashi (see the module docstring).")
    ap.add_argument("--seed", type=int, default=int(os.environ["AKASHI_FAULT_SEED"])
                    if os.environ.get("AKASHI_FAULT_SEED") else None)
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("AKASHI_FAULT_ROUNDS", "50")))
    ap.add_argument("--parts", default=os.environ.get("AKASHI_FAULT_PARTS", ",".join(PARTS)))
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10 ** 6)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        print(f"unknown parts {unknown}; the parts are {','.join(PARTS)}")
        return 2
    if not os.path.exists(AKASHI):
        print(f"no akashi binary at {AKASHI} (set AKASHI_BIN)")
        return 2
    kind, where = store_location("flt")
    print(f"fault test: akashi {AKASHI}; store kind {kind}; seed {seed}; rounds {args.rounds}; parts {','.join(parts)}")
    print(f"reproduce: AKASHI_BIN={AKASHI} python3 {os.path.relpath(__file__)} --seed {seed} --rounds {args.rounds} "
          f"--parts {','.join(parts)}" + (" (with AKASHI_TEST_STORE_KIND=postgres)" if kind == "postgres" else ""),
          flush=True)

    def on_term(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    tmp = tempfile.mkdtemp(prefix="akashi-fault-")
    STATE["tmp"] = tmp
    procs = Procs(tmp)
    t0 = time.time()
    part_times = {}
    skipped = {}
    try:
        ctx = setup(tmp, kind, where)
        ctx["procs"] = procs
        for part in parts:
            STATE["part"] = part
            print(f"\n=== {PART_TITLES[part]}", flush=True)
            if part in ("disk", "readonly", "copy"):
                if kind != "sqlite":
                    skipped[part] = "about the embedded store's directory; run without AKASHI_TEST_STORE_KIND=postgres"
                    print(f"SKIP  {skipped[part]}")
                    continue
                if os.geteuid() != 0 and part != "copy":
                    skipped[part] = "needs root (mount, runuser)"
                    print(f"SKIP  {skipped[part]}")
                    continue
            t = time.time()
            try:
                if part == "serve":
                    part_serve(ctx, seed, args.rounds)
                elif part == "import":
                    part_import(ctx, seed, args.rounds)
                elif part == "disk":
                    part_disk(ctx, seed)
                elif part == "readonly":
                    part_readonly(ctx)
                elif part == "copy":
                    part_copy(ctx, seed)
            except Exception as e:  # a part that cannot go on is a failure; the next one still runs
                traceback.print_exc()
                check(f"{part} ran to the end", False, repr(e)[:500])
            finally:
                procs.stop_all()
                unmount_all()
                part_times[part] = time.time() - t
    except BaseException as e:
        if not isinstance(e, Exception):
            print(f"interrupted: {e!r}")
        else:
            traceback.print_exc()
        check("the test ran to the end", False, repr(e)[:500])
    finally:
        procs.stop_all()
        unmount_all()
        left = [p.pid for p in procs.all if p.poll() is None]
        if left:
            check("every process started was stopped", False, str(left))
        if os.environ.get("KEEP_TMP"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print("\n=== summary (seed %d)" % seed)
    for part in ["setup"] + parts:
        mine = [r for r in RESULTS if r[0] == part]
        if part in skipped:
            print(f"{PART_TITLES[part]}: SKIPPED ({skipped[part]})")
            continue
        if not mine:
            continue
        failed = [r for r in mine if not r[2]]
        took = f" in {part_times[part]:.0f} s" if part in part_times else ""
        print(f"{PART_TITLES[part]}: {'FAIL' if failed else 'ok'} ({len(mine) - len(failed)}/{len(mine)} checks{took})"
              + (": " + "; ".join(r[1] for r in failed) if failed else ""))
    failed = [r for r in RESULTS if not r[2]]
    print(f"\n{len(RESULTS) - len(failed)} passed, {len(failed)} failed in {time.time() - t0:.0f} s ({kind}, seed {seed})")
    print("fault test: " + ("FAILED" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
