"""What every group of routes reads from the app (each group is a mixin of the app)."""

from __future__ import annotations

import json
import random
from typing import Any

from werkzeug.wrappers import Request

from .config import SandboxConfig
from .store import Store


class AppParts:
    """The app's state, as the route mixins see it."""

    store: Store
    # Decides which jobs fail (`fail_rate`), seeded for repeatable runs.
    rng: random.Random

    @property
    def config(self) -> SandboxConfig:
        return self.store.config

    @staticmethod
    def body_of(request: Request) -> Any:
        """The JSON body, or ``None`` when it is absent or not JSON."""
        try:
            return json.loads(request.get_data() or b"null")
        except ValueError:
            return None
