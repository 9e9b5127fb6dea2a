"""What the scripts that drive a running Akashi share: a free port, a server started and waited for, the staff of a
generated city and who is on register duty today."""
import gzip
import json
import os
import random
import socket
import string
import subprocess
import sys
import time
import urllib.parse
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server(akashi, store, *args):
    """`akashi serve` on a free loopback port; returns the process and the base URL once /healthz answers."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([akashi, "serve", "--store", store, "--port", str(port), *args],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for _ in range(300):
        try:
            if urllib.request.urlopen(base + "/healthz", timeout=1).status == 200:
                break
        except Exception:
            time.sleep(0.1)
    return server, base


def city_staff(files):
    """The staff records of a generated city's files (plain or gzip)."""
    staff = []
    for f in files:
        opener = gzip.open if f.endswith(".gz") else open
        with opener(f, "rt", encoding="utf-8") as fh:
            staff += [json.loads(line) for line in fh if '"type":"staff"' in line]
    return staff


def on_duty(s, today):
    """Whether a staff member is on register duty (koseki) on `today` (YYYY-MM-DD)."""
    return any(a["duty"] == "koseki" and a["from"] <= today and (a.get("to") is None or today <= a["to"])
               for a in s["assignments"])


def store_location(prefix="mst"):
    """The store a script runs against, from AKASHI_TEST_STORE_KIND (sqlite, the default, or postgres with
    AKASHI_TEST_POSTGRES): (kind, a function of the temporary directory giving the --store value). A PostgreSQL store is
    a fresh municipality named `prefix` + random letters. Exits 2 on a bad configuration."""
    kind = os.environ.get("AKASHI_TEST_STORE_KIND", "sqlite")
    if kind == "sqlite":
        return kind, lambda tmp: os.path.join(tmp, "store")
    if kind == "postgres":
        base = os.environ.get("AKASHI_TEST_POSTGRES")
        if not base:
            print("AKASHI_TEST_STORE_KIND=postgres needs AKASHI_TEST_POSTGRES (e.g. postgres://postgres@127.0.0.1:55432/akashi_test)")
            sys.exit(2)
        if urllib.parse.urlsplit(base).password is not None:
            print("AKASHI_TEST_POSTGRES must not carry a password: put it in PGPASSWORD")
            sys.exit(2)
        name = prefix + "".join(random.SystemRandom().choice(string.ascii_lowercase + string.digits) for _ in range(10))
        url = base + ("&" if "?" in base else "?") + "municipality=" + name
        return kind, lambda tmp: url
    print(f"AKASHI_TEST_STORE_KIND must be sqlite or postgres, not {kind!r}")
    sys.exit(2)
