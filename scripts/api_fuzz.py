"""API fuzzing (issue 18): schemathesis against `/api/v1/openapi.yaml`, signed in as each staff role and as nobody.

Starts `akashi serve` on a free loopback port over a tiny generated city, signs in a clerk, a supervisor and an
auditor through the API (and acknowledges the banner), and lets schemathesis generate requests for every operation
of the published schema with each one's token, and with none. The checks: no response is a server error (5xx) —
whatever a client sends, Akashi answers with a clear 4xx or does the work — every response's status, content type
and body are the ones the schema documents, a method the schema does not list for a path is a 405 with an
`Allow` header, and a request the schema says is valid is never refused as malformed (positive_data_acceptance: no
400, the schema states every rule the server holds a request to). Bounded: a fixed number of examples per
operation and a fixed seed, so a run takes a few minutes and repeats. Afterwards `akashi ledger verify` must pass on
the store the fuzzing wrote to (no request can leave the ledger unverifiable).

On the embedded store by default; with AKASHI_TEST_STORE_KIND=postgres and AKASHI_TEST_POSTGRES (a base URL, no
password), on a fresh municipality of that PostgreSQL server.

Needs: Python `schemathesis` (pip) and a built `akashi` (AKASHI_BIN). Exits non-zero on failure. AKASHI_FUZZ_EXAMPLES
(25), AKASHI_FUZZ_SEED (18) and AKASHI_FUZZ_CHECKS (the list below) change the run; AKASHI_FUZZ_TAIL (25) is how many
lines of each schemathesis report are printed.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from akashi_scripts import city_staff, on_duty, start_server, store_location

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AKASHI = os.environ.get("AKASHI_BIN", os.path.join(ROOT, ".build", "debug", "akashi"))
PASSWORD = "api-fuzz-password-1"
EXAMPLES = os.environ.get("AKASHI_FUZZ_EXAMPLES", "25")
# Fixed, so that a run repeats; another seed (AKASHI_FUZZ_SEED) explores other requests.
SEED = os.environ.get("AKASHI_FUZZ_SEED", "18")
# unsupported_method: a method the schema does not list for a path must be a 405 with an Allow header (issue 18, F-18:
# TRACE was a 404). positive_data_acceptance: a request the schema says is valid is not refused as malformed (see
# ACCEPTED below for what else may answer it).
CHECKS = os.environ.get("AKASHI_FUZZ_CHECKS", "not_a_server_error,status_code_conformance,content_type_conformance,"
                                               "response_schema_conformance,unsupported_method,positive_data_acceptance")

# How positive_data_acceptance is configured. A request the schema says is well formed may still be refused for what
# the schema cannot know, and those refusals are never a 400 (the schema states every rule about how a request is
# written: IDs, control characters, blank and required fields, dates, the search's "at least one field", each case
# kind's details). They are:
#   401  no token (the anonymous run) or an unknown staff ID or wrong password at /login;
#   403  the role, the duty or the purpose does not allow it (an auditor taking in a case; a case that is not an open
#        case of yours; a reason that is too short, which counts characters in words the schema leaves to the server);
#   404  an ID that names nothing this client may see: the fixed register below used as a case or approval ID, a
#        generated case, person or approval ID, a case of someone else's, and a record the register does not hold
#        (record=removed of a current register: it depends on the register);
#   409  a decided approval, a closed case, an Idempotency-Key already used for another request;
#   429  too many sign-in attempts from this address within a minute (the anonymous run's /login).
# No 3xx (the API never redirects) and no 5xx (not_a_server_error fails those anyway).
ACCEPTED = ["2xx", "401", "403", "404", "409", "429"]


def run(*args, stdin=None):
    return subprocess.run([AKASHI, *args], input=stdin, capture_output=True, text=True, timeout=600)


def post(url, body, token=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else b"", method="POST",
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(req, timeout=10) as r:
        text = r.read().decode()
        return json.loads(text) if text else {}


def first_current_register(files):
    """The first current register (by ID) of the generated city's files: the same on either store."""
    ids = []
    for f in files:
        if "register" not in os.path.basename(f):
            continue
        with open(f, encoding="utf-8") as fh:
            ids += [r["id"] for r in map(json.loads, fh) if r.get("type") == "register" and r.get("kind") == "current"]
    return min(ids)


def main():
    kind, store_of = store_location("fuz")
    tmp = tempfile.mkdtemp(prefix="akashi-fuzz-")
    store, city = store_of(tmp), os.path.join(tmp, "city")
    print(f"api fuzz on the {kind} store", flush=True)
    server = None
    failures = []
    try:
        r = run("generate", "--out", city, "--scale", "0.002", "--seed", "7", "--scenario", "osaka-2014")
        assert r.returncode == 0, r.stderr[-500:]
        files = sorted(os.path.join(city, f) for f in os.listdir(city) if f.endswith(".jsonl") or f.endswith(".jsonl.gz"))
        r = run("import", "--store", store, *files)
        assert r.returncode in (0, 1), r.stderr[-500:]
        today = time.strftime("%Y-%m-%d")
        staff = city_staff(files)
        roles = {
            "clerk": next(s for s in staff if s["role"] == "clerk" and on_duty(s, today)),
            "supervisor": next(s for s in staff if s["role"] == "supervisor" and on_duty(s, today)),
            "auditor": next(s for s in staff if s["role"] == "auditor"),
        }
        for s in roles.values():
            r = run("account", "set-password", "--store", store, "--staff", s["id"], stdin=PASSWORD + "\n")
            assert r.returncode == 0, r.stderr

        server, base = start_server(AKASHI, store)
        tokens = {}
        for role, s in roles.items():
            token = post(base + "/api/v1/login", {"staff": s["id"], "password": PASSWORD})["token"]
            post(base + "/api/v1/banner/acknowledge", None, token)
            tokens[role] = token

        # A real register for the `{id}` of every path, so that the requests get past "no such register" to the
        # code that records and answers (the generated query, form and body values are still fuzzed).
        register = first_current_register(files)
        config = os.path.join(tmp, "schemathesis.toml")
        with open(config, "w") as fh:
            fh.write(f'[parameters]\n"path.id" = "{register}"\n\n'
                     f'[checks.positive_data_acceptance]\nexpected-statuses = {json.dumps(ACCEPTED)}\n')

        schema = base + "/api/v1/openapi.yaml"
        for role in ["anonymous", "clerk", "supervisor", "auditor"]:
            args = ["schemathesis", "--config-file", config, "run", schema, "--checks", CHECKS, "--max-examples", EXAMPLES,
                    "--seed", SEED, "--request-timeout", "30", "--suppress-health-check", "all"]
            if role != "anonymous":
                # Signing out (and in) would end or replace the session the rest of the run uses.
                args += ["--header", "Authorization: Bearer " + tokens[role],
                         "--exclude-path", "/logout", "--exclude-path", "/login"]
            print(f"--- schemathesis as {role}", flush=True)
            # In the temporary directory: schemathesis keeps a cache where it runs, never in the repository.
            p = subprocess.run(args, capture_output=True, text=True, timeout=1200, cwd=tmp)
            tail = "\n".join(p.stdout.splitlines()[-int(os.environ.get("AKASHI_FUZZ_TAIL", "25")):])
            print(tail, flush=True)
            if p.returncode != 0:
                failures.append(f"schemathesis as {role} (exit {p.returncode})")
    finally:
        if server:
            server.terminate()
            try:
                out, _ = server.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                out, _ = server.communicate()
            errors = [line for line in (out or "").splitlines() if "500 Internal Server Error" in line]
            if errors:
                failures.append(f"{len(errors)} server errors logged, e.g. {errors[0]}")
    r = run("ledger", "verify", "--store", store)
    print(r.stdout.strip() or r.stderr.strip()[-800:])
    if r.returncode != 0:
        failures.append("ledger verify after fuzzing")
    shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL " + f)
    print("api fuzz: " + ("FAILED" if failures else "ok"))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
