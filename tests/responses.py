"""What a test reads from a streamed response (the CSV downloads)."""

from typing import Any

from django.http import StreamingHttpResponse


def streamed_text(response: Any) -> str:
    """The whole body of a streamed response as text; fails the test if it is not streamed."""
    assert isinstance(response, StreamingHttpResponse), type(response)
    return b"".join(response.streaming_content).decode()  # type: ignore[arg-type]  # sync stream: bytes
