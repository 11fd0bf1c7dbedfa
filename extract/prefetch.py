"""Download ahead while landing: a background thread pulls items (result pages on disk) from an iterator.

The producer stays at most ``depth`` pages ahead, so disk use is bounded; an error in either thread ends both.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_ITEM, _DONE, _ERROR = "item", "done", "error"


class Prefetch(Generic[T]):
    """``with Prefetch(pages) as ahead: for page in ahead: ...``"""

    def __init__(self, iterator: Iterator[T], depth: int = 2):
        self._iterator = iterator
        self._queue: queue.Queue = queue.Queue(maxsize=max(depth, 1))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="prefetch", daemon=True)

    def _put(self, message: tuple) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            for item in self._iterator:
                if not self._put((_ITEM, item)):
                    return
            self._put((_DONE, None))
        except BaseException as error:  # handed to the consumer, which raises it
            self._put((_ERROR, error))

    def __enter__(self) -> Iterator[T]:
        self._thread.start()
        return self._consume()

    def _consume(self) -> Iterator[T]:
        while True:
            kind, value = self._queue.get()
            if kind == _ITEM:
                yield value
            elif kind == _DONE:
                return
            else:
                raise value

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        while True:  # unblock a producer waiting on a full queue
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join(timeout=30)
