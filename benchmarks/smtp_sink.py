"""The campaign benchmark's SMTP sink: an aiosmtpd server that only counts what it accepts.

Run in a process of its own (``python -m benchmarks.smtp_sink --port P --stats FILE``), so
the senders and the sink do not share an interpreter. It keeps no message body: per
message it notes the wall-clock time (``time.time()``, comparable with the timestamps
other processes write) and the envelope's recipients, to count them and find duplicates.
On SIGTERM or SIGINT it writes its figures to ``--stats`` as JSON and exits.
"""

import argparse
import asyncio
import json
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


class CountingHandler:
    """Accepts every message at once; remembers when and for whom, nothing else."""

    def __init__(self) -> None:
        self.accepted = 0
        self.first: float | None = None
        self.last: float | None = None
        self.recipients: Counter[str] = Counter()
        self.connections = 0
        self.bytes = 0

    async def handle_DATA(  # noqa: N802  # the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        now = time.time()
        if self.first is None:
            self.first = now
        self.last = now
        self.accepted += 1
        self.bytes += len(envelope.content or b"")
        self.recipients.update(envelope.rcpt_tos)
        return "250 OK"

    def figures(self) -> dict[str, Any]:
        duplicates = sum(n - 1 for n in self.recipients.values() if n > 1)
        return {
            "accepted": self.accepted,
            "recipients": len(self.recipients),
            "duplicates": duplicates,
            "first": self.first,
            "last": self.last,
            "connections": self.connections,
            "bytes": self.bytes,
        }


async def serve(port: int, stats: Path) -> None:
    handler = CountingHandler()
    loop = asyncio.get_running_loop()

    def protocol() -> SMTP:
        handler.connections += 1
        # A fixed hostname: aiosmtpd would otherwise look up this host's FQDN.
        return SMTP(handler, hostname="sink.localhost", ident="clvcrm-bench-sink")

    server = await loop.create_server(protocol, "127.0.0.1", port)
    stopped = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    print(f"listening on 127.0.0.1:{port}", flush=True)
    await stopped.wait()
    server.close()
    temporary = stats.with_suffix(".tmp")
    temporary.write_text(json.dumps(handler.figures()))
    temporary.replace(stats)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stats", type=Path, required=True, help="JSON written on exit")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.stats))


if __name__ == "__main__":
    main()
