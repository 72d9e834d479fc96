"""The package's metadata: pyproject.toml's pins are the requirements files' pins, and its command exists."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def requirements(name: str) -> list[str]:
    lines = (ROOT / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_the_dependencies_are_the_pins_of_requirements_txt():
    assert PROJECT["dependencies"] == requirements("requirements.txt")


def test_the_dev_extra_is_the_pins_of_requirements_dev_txt():
    assert PROJECT["optional-dependencies"]["dev"] == requirements("requirements-dev.txt")


def test_the_qa_service_command_names_a_function_that_exists():
    module, _, function = PROJECT["scripts"]["qa-service"].partition(":")
    assert callable(getattr(importlib.import_module(module), function))
