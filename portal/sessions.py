"""The portal's session store: Django's database sessions, written in fewer round trips.

Sessions stay in PostgreSQL, not in Redis, so that logins survive while Redis is away (README,
"Redis away"). Django's own database store paid for that with up to nine statements per eID login
(PF5): a SELECT for a free key before every INSERT, a new row at login written with the old data
and then updated again, the old row read before it was deleted, and a transaction of its own
(BEGIN, COMMIT) around each write. This store keeps Django's behaviour and its table:

- A new key is drawn without asking whether it is taken. 32 characters from 36 do not repeat in
  practice; if one ever did, the primary key refuses the INSERT and ``create()`` draws again.
- ``key_reserve()`` gives a session without a key its key at once and writes the row with the
  request's own save, so a fresh browser's first request writes its session once.
- A login's rotation (``cycle_key()``) renames the row at the request's save: one UPDATE sets the
  new key and the data, and the old key is gone in the same statement, as Django's DELETE would
  leave it (fixation: a planted key is worthless after the login).
- A deletion is one DELETE, and a single statement is not wrapped in a transaction of its own
  (inside a caller's transaction it gets a savepoint, so a refused write cannot spoil it).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, SessionBase, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import IntegrityError, connections, router, transaction
from django.utils.crypto import get_random_string


class SessionStore(DatabaseSessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        # The key has no row yet: the next save INSERTs it (key_reserve, or a rotation with no old row).
        self._insert_pending = False
        # A rotation waits for the next save: the row of this key is renamed to the current key.
        self._replaces: str | None = None

    def _get_new_session_key(self) -> str:
        # No SELECT for the key first: the INSERT (or the renaming UPDATE) refuses a duplicate.
        return get_random_string(32, VALID_KEY_CHARS)

    def key_reserve(self) -> tuple[str, bool]:
        """This session's key, and whether it was drawn just now; a new key's row is written by
        the next save.

        For binding server-side state (an identity flow) to a browser that has no session yet,
        without a write of its own before the request's save. The session is read first: a cookie
        naming a session that no longer exists gets a new key, never its own again.
        """
        self._get_session()  # type: ignore[attr-defined]  # Django's loader, private and absent from the stubs
        if self.session_key is not None:
            return self.session_key, False
        self._session_key = self._get_new_session_key()
        self._insert_pending = True
        self.modified = True
        return str(self.session_key), True

    def cycle_key(self) -> None:
        """A new key for the same data (at login), written by the next save; the old key then no
        longer exists."""
        data = self._session  # type: ignore[attr-defined]  # Django's loaded data, private
        old = self.session_key
        if old and not self._insert_pending and self._replaces is None:
            self._replaces = old
        elif self._replaces is None:
            # The old key has no row (a fresh session, or one that expired): nothing to rename.
            self._insert_pending = True
        self._session_key = self._get_new_session_key()
        self._session_cache = data
        self.modified = True

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        if self._replaces is not None:
            self._rename()
        elif must_create or self._insert_pending:
            self._write(insert=True)
        else:
            self._write(insert=False)
        self._insert_pending = False
        self._replaces = None
        return None

    def _fields(self, *, insert: bool) -> dict[str, Any]:
        data = self._get_session(no_load=insert)  # type: ignore[attr-defined]  # as in Django's save()
        return {"session_data": self.encode(data), "expire_date": self.get_expiry_date()}

    def _atomic_if_nested(self, using: str) -> AbstractContextManager[Any]:
        # Alone, one statement is atomic already; within a caller's transaction a savepoint keeps a
        # refused write (a duplicate key) from breaking that transaction.
        return transaction.atomic(using=using) if connections[using].in_atomic_block else nullcontext()

    def _write(self, *, insert: bool) -> None:
        using = router.db_for_write(self.model)
        fields = self._fields(insert=insert)
        key = str(self.session_key)
        if insert:
            try:
                with self._atomic_if_nested(using):
                    self.model.objects.using(using).create(session_key=key, **fields)
            except IntegrityError as err:
                raise CreateError from err
            return
        with self._atomic_if_nested(using):
            updated = self.model.objects.using(using).filter(session_key=key).update(**fields)
        if not updated:
            # The row went meanwhile (a logout or a login of this browser in another request):
            # Django's store refuses the same way, and its middleware answers "session interrupted".
            raise UpdateError

    def _rename(self) -> None:
        using = router.db_for_write(self.model)
        fields = self._fields(insert=False)
        try:
            with self._atomic_if_nested(using):
                renamed = (
                    self.model.objects.using(using)
                    .filter(session_key=self._replaces)
                    .update(session_key=self.session_key, **fields)
                )
        except IntegrityError as err:
            # The new key is taken (a repeat of 32 random characters). The request has seen it, so
            # it is not swapped for another behind the caller's back; the old row is left as it was.
            raise CreateError from err
        if not renamed:
            # The old row is gone (expired and purged, or ended by a logout elsewhere): the session
            # goes on under its new key alone, as after Django's rotation.
            self._write(insert=True)

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        keys = [session_key]
        if session_key == self.session_key and self._replaces is not None:
            # Flushed before the rotation was saved: the row still has the old key.
            keys.append(self._replaces)
            self._replaces = None
        self.model.objects.filter(session_key__in=keys).delete()


def session_key_reserve(session: SessionBase) -> tuple[str, bool]:
    """The key of ``session`` and whether it is new: one is drawn if the session has none (and
    written at once with other stores than this one). Nothing can be bound to a new key yet."""
    if isinstance(session, SessionStore):
        return session.key_reserve()
    session._get_session()  # type: ignore[attr-defined]  # as above: a vanished session gets a new key
    if session.session_key:
        return session.session_key, False
    session.save()
    return str(session.session_key), True
