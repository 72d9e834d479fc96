"""The suite-wide guard (conftest's pytest_runtest_call): a request that ends in a 500 fails the test that made it,
even when the test asserts nothing about the reply."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).with_name("conftest.py")

A_VIEW_THAT_BREAKS = '''
import pytest

from qa_service import create_app


def app_with_a_broken_view(corpus_dir):
    app = create_app({"QA_CORPUS": str(corpus_dir), "QA_RELOAD_SECONDS": 0})

    @app.get("/test-only/broken")
    def broken():
        raise LookupError("a bug")

    return app


def test_that_ignores_the_reply(corpus_dir):
    app_with_a_broken_view(corpus_dir).test_client().get("/test-only/broken")


@pytest.mark.unhandled_error_expected
def test_that_means_to_break_it(corpus_dir):
    assert app_with_a_broken_view(corpus_dir).test_client().get("/test-only/broken").status_code == 500


def test_that_only_asks(corpus_dir):
    assert create_app({"QA_CORPUS": str(corpus_dir)}).test_client().get("/healthz").status_code == 200
'''


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A test folder with the project's conftest (which imports from, and finds the seed article beside, the tests
    folder) and its marker."""
    monkeypatch.setenv("PYTHONPATH", str(CONFTEST.parent))
    here = "Path(__file__).resolve().parent.parent"
    conftest = CONFTEST.read_text(encoding="utf-8")
    assert here in conftest
    pytester.makeconftest(conftest.replace(here, f"Path({str(CONFTEST.parent.parent)!r})"))
    pytester.makeini("[pytest]\nmarkers =\n    unhandled_error_expected: a 500 on purpose\n")
    pytester.makepyfile(test_breaking=A_VIEW_THAT_BREAKS)
    return pytester


def test_a_500_fails_the_test_that_caused_it_unless_it_says_it_meant_to(suite: pytest.Pytester):
    result = suite.runpytest_subprocess("-p", "no:cacheprovider", "--rootdir", str(suite.path))

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*_ test_that_ignores_the_reply _*",
                                 "*1 request(s) ended in an unhandled error (a 500)*", "*LookupError: a bug*"])
