"""A slow mail backend that records each delivery durably, for the worker-kill test.

Every message sleeps DELIVERY_SECONDS (an SMTP conversation), then becomes one file in
DELIVERY_DIR holding its Message-ID; the file is renamed into place, so a worker killed
mid-send leaves no delivery behind, exactly like an SMTP server that never got the final
dot. Two deliveries of one mail are two files with the same Message-ID.
"""

import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class RecordingBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        directory = Path(os.environ["DELIVERY_DIR"])
        for message in email_messages:
            time.sleep(float(os.environ.get("DELIVERY_SECONDS", "0")))
            name = f"{time.time_ns()}-{os.getpid()}-{uuid.uuid4().hex}"
            part = directory / f"{name}.part"
            part.write_text(f"{message.message()['Message-ID']}\n{message.to[0]}\n")
            part.rename(directory / f"{name}.eml")
        return len(email_messages)


def deliveries(directory: Path) -> list[str]:
    """The Message-IDs delivered so far, one entry per delivery."""
    return [path.read_text().splitlines()[0] for path in sorted(directory.glob("*.eml"))]
