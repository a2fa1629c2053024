"""Moved to `rectify.sample.demo`; this alias is kept for one release."""

from rectify.sample.demo import (
    DemoReport,
    DemoStep,
    run_demo,
)

__all__ = [
    "DemoReport",
    "DemoStep",
    "run_demo",
]
