from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server (daphne: HTTP and websockets) and the huey worker side by side; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port: int, **options):
        bin_dir = Path(sys.executable).parent
        address = f"http://127.0.0.1:{port}"
        worker_env = {**os.environ, "HINT_RELAY_URL": "" if settings.REDIS_URL else f"{address}/internal/hints"}
        children = [
            subprocess.Popen(  # noqa: S603 - our own fixed commands
                [str(bin_dir / "daphne"), "--bind", "127.0.0.1", "--port", str(port), "config.asgi:application"]
            ),
            subprocess.Popen([sys.executable, "manage.py", "run_huey", "--quiet"], env=worker_env),
        ]
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        # Set explicitly: a shell that started us in the background may have left SIGINT ignored.
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"Handoff is running on {address} (Ctrl-C stops the web server and the worker)")
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.3)
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("Stopped.")
