"""The workflow's stages and file helpers under their earlier name, for scripts that
import ``evaluation.pipeline``. The stages live in :mod:`evaluation.stages`, the file
helpers in :mod:`evaluation.io`."""
from __future__ import annotations

from .io import *  # noqa: F401,F403
from .io import __all__ as _io_all
from .stages import *  # noqa: F401,F403
from .stages import __all__ as _stages_all

__all__ = [*_io_all, *_stages_all]
