"""The production settings plus one URL: the minimal Django view the benchmark compares with."""

from forum.settings import *  # noqa: F403

ROOT_URLCONF = "tests.benchmarks.urls"
