"""Schema-driven testing: schemathesis sends generated requests for every operation of /api/openapi.json to the
real service under gunicorn, and every reply must match the document (status, schema) and never be a 5xx."""

from __future__ import annotations

import json
import shutil
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode
from services import ROOT, Service, start_service

from qa_service import formats
from qa_service.openapi import openapi_document

ADMIN_TOKEN = "schemathesis-admin-token-0123456789"
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance,
          response_headers_conformance]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Service:
    folder = tmp_path_factory.mktemp("schemathesis")
    shutil.copytree(ROOT / "corpus", folder / "corpus")
    # Writes are on (with a token the generated requests carry) so that PUT and DELETE are tried for real.
    running = start_service(folder / "corpus", folder / "server.log", {"QA_ADMIN_TOKEN": ADMIN_TOKEN})
    yield running
    running.stop()


# PDF and Word bodies are bytes ("format": "binary" in the document): sent as generated, like any octet stream.
for binary in (f for f in formats.FORMATS if f.binary):
    for media_type in binary.media_types:
        schemathesis.serializer.alias(media_type, "application/octet-stream")

# The document is built in-process, where tests are collected, so that each operation is a test of its own;
# test_the_service_serves_the_document_under_test checks it is the one the running service serves.
schema = schemathesis.openapi.from_dict(openapi_document())
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


def test_the_service_serves_the_document_under_test(service: Service):
    with urllib.request.urlopen(f"{service.url}/api/openapi.json", timeout=30) as response:
        assert json.load(response) == json.loads(json.dumps(openapi_document()))


@schema.parametrize()
@settings(max_examples=100, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
def test_every_operation_keeps_to_its_documented_replies(case, service: Service):
    case.call_and_validate(base_url=service.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, checks=CHECKS)
