"""Fixtures of the QEMU tests: where the build is (helpers to boot and read a log: anima_qemu.py).

The artifacts come from the environment, so ctest can point at any build tree:
  ANIMA_BUILD  the build directory (default: <repo>/build)
  ANIMA_EFI    the UEFI application (default: $ANIMA_BUILD/anima.efi)
  ANIMA_SIM    the hosted runner     (default: $ANIMA_BUILD/anima-sim)
  ANIMA_IMG    the disk image        (default: $ANIMA_BUILD/anima.img)
"""
import os

import pytest

from anima_qemu import EXITED, QEMU_BOOT, REPO, Boot, Session, boot, rows  # noqa: F401 (re-exported)

BUILD = os.environ.get("ANIMA_BUILD", os.path.join(REPO, "build"))


def artifact(var, name):
    path = os.environ.get(var, os.path.join(BUILD, name))
    if not os.path.exists(path):
        pytest.fail("%s not found (set %s or ANIMA_BUILD, or build first)" % (path, var))
    return os.path.abspath(path)


@pytest.fixture(scope="session")
def efi():
    return artifact("ANIMA_EFI", "anima.efi")


@pytest.fixture(scope="session")
def sim():
    return artifact("ANIMA_SIM", "anima-sim")


@pytest.fixture(scope="session")
def img():
    return artifact("ANIMA_IMG", "anima.img")
