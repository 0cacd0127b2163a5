"""A limit on the size of uploaded files, enforced while the request is read."""

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest


class UploadSizeLimit(FileUploadHandler):
    """Drops an uploaded file as soon as more than ``limit`` bytes of it have arrived.

    Put it first in ``request.upload_handlers`` before the request's files are read: the
    handlers after it (the temporary file) never see the rest of the file, so a huge
    upload fills neither memory nor disk. The other fields are still read; the view tells
    the user with :attr:`refused` (the names of the files dropped).
    """

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.refused: list[str] = []

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.refused.append(self.file_name or "")
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file
