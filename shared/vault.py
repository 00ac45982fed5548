"""Identity vault: personal data encrypted per person, erasable by crypto-shredding.

Each person (victim, reporter, guardian) gets a random 256-bit data key, stored wrapped by the
service's master key in ``vault_keys``. Each sealed value is AES-GCM encrypted under that data key
in ``vault_records`` and referenced from events only by its opaque ``ref``. Deleting the person's
key row makes every value sealed for them unreadable, while events and replays stay intact.
"""

from __future__ import annotations

import base64
import os
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update

from shared.database import DriverStatement
from shared.errors import NotFound, PreconditionFailed
from shared.tables import vault_keys, vault_records

ERASED = None
_NONCE_BYTES = 12


def load_master_key(configured: str | None, data_dir: Path) -> bytes:
    """The configured base64 key, or (embedded default) a key file created once in ``data_dir``."""
    if configured:
        key = base64.b64decode(configured)
    else:
        path = data_dir / "vault.key"
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(base64.b64encode(AESGCM.generate_key(bit_length=256)))
        key = base64.b64decode(path.read_bytes())
    if len(key) != 32:
        raise ValueError("the vault master key must be 32 bytes (base64-encoded)")
    return key


_WRAPPED_KEY = select(vault_keys.c.wrapped_key).where(
    vault_keys.c.subject_id == bindparam("subject_id"), vault_keys.c.tenant == bindparam("tenant")
)
_INSERT_KEY = DriverStatement(
    insert(vault_keys).values({c.name: bindparam(c.name) for c in vault_keys.c}),
    {c.name: c.type for c in vault_keys.c},
)
_INSERT_RECORD = DriverStatement(
    insert(vault_records).values({c.name: bindparam(c.name) for c in vault_records.c}),
    {c.name: c.type for c in vault_records.c},
)


@dataclass(frozen=True)
class Plaintext:
    """A value to seal: the field it belongs to and the reference events will carry."""

    field: str
    value: str
    ref: str


def _encrypt(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    return _encrypt_with(AESGCM(key), plaintext, aad)


def _encrypt_with(aesgcm: AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce + aesgcm.encrypt(nonce, plaintext, aad)


def _decrypt(key: bytes, blob: bytes, aad: bytes) -> bytes:
    return AESGCM(key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], aad)


class Vault:
    def __init__(self, master_key: bytes) -> None:
        self._master_key = master_key

    def seal(
        self,
        conn: Connection,
        *,
        tenant: str,
        subject_id: str,
        field: str,
        value: str,
        ref: str | None = None,
    ) -> str:
        """Encrypt ``value`` for ``subject_id``; return the opaque reference to put in events.

        Handlers may choose ``ref`` up front (:func:`new_ref`) so the event naming it can be
        decided before the transaction that seals the value."""
        plaintext = Plaintext(field, value, ref or new_ref())
        self.seal_many(conn, tenant=tenant, subject_id=subject_id, values=[plaintext])
        return plaintext.ref

    def seal_many(
        self,
        conn: Connection,
        *,
        tenant: str,
        subject_id: str,
        values: Sequence[Plaintext],
        new_subject: bool = False,
    ) -> None:
        """Seal several values of one person: their key is fetched (or created) once and the
        records are inserted together. ``new_subject`` says the person was created by this
        command, so their key is created without looking for one first."""
        data_key = (
            self._create_key(conn, tenant, subject_id)
            if new_subject
            else self._data_key(conn, tenant, subject_id, create=True)
        )
        assert data_key is not None  # created when missing
        created_at = datetime.now(UTC)
        aesgcm = AESGCM(data_key)
        _INSERT_RECORD.execute(
            conn,
            [
                {
                    "ref": plaintext.ref,
                    "subject_id": subject_id,
                    "tenant": tenant,
                    "field": plaintext.field,
                    "ciphertext": _encrypt_with(
                        aesgcm,
                        plaintext.value.encode(),
                        _aad(plaintext.ref, subject_id, plaintext.field),
                    ),
                    "created_at": created_at,
                }
                for plaintext in values
            ],
        )

    def open(self, conn: Connection, *, tenant: str, ref: str) -> str | None:
        """The plaintext, or ``None`` when the person's key was shredded."""
        record = conn.execute(
            select(vault_records).where(
                vault_records.c.ref == ref, vault_records.c.tenant == tenant
            )
        ).first()
        if record is None:
            raise NotFound("no such sealed value")
        data_key = self._data_key(conn, tenant, record.subject_id, create=False)
        if data_key is None:
            return ERASED
        aad = _aad(ref, record.subject_id, record.field)
        return _decrypt(data_key, record.ciphertext, aad).decode()

    def erase(self, conn: Connection, *, tenant: str, subject_id: str) -> bool:
        """Crypto-shred: delete the data key. Refused while a legal hold applies."""
        row = self._key_row(conn, tenant, subject_id)
        if row is None:
            return False
        if row.legal_hold:
            raise PreconditionFailed(
                "a legal hold applies to this person's data", code="legal-hold-active"
            )
        conn.execute(delete(vault_keys).where(vault_keys.c.subject_id == subject_id))
        return True

    def set_legal_hold(self, conn: Connection, *, tenant: str, subject_id: str, hold: bool) -> None:
        if self._key_row(conn, tenant, subject_id) is None:
            raise NotFound("no personal data is held for this person")
        conn.execute(
            update(vault_keys).where(vault_keys.c.subject_id == subject_id).values(legal_hold=hold)
        )

    def _key_row(self, conn: Connection, tenant: str, subject_id: str) -> Row[Any] | None:
        return conn.execute(
            select(vault_keys).where(
                vault_keys.c.subject_id == subject_id, vault_keys.c.tenant == tenant
            )
        ).first()

    def _data_key(
        self, conn: Connection, tenant: str, subject_id: str, *, create: bool
    ) -> bytes | None:
        row = conn.execute(_WRAPPED_KEY, {"subject_id": subject_id, "tenant": tenant}).first()
        if row is not None:
            return _decrypt(self._master_key, row.wrapped_key, subject_id.encode())
        if not create:
            return None
        return self._create_key(conn, tenant, subject_id)

    def _create_key(self, conn: Connection, tenant: str, subject_id: str) -> bytes:
        data_key = AESGCM.generate_key(bit_length=256)
        _INSERT_KEY.execute(
            conn,
            [
                {
                    "subject_id": subject_id,
                    "tenant": tenant,
                    "wrapped_key": _encrypt(self._master_key, data_key, subject_id.encode()),
                    "legal_hold": False,
                    "created_at": datetime.now(UTC),
                }
            ],
        )
        return data_key


def new_ref() -> str:
    return str(uuid.uuid4())


def _aad(ref: str, subject_id: str, field: str) -> bytes:
    return f"{ref}|{subject_id}|{field}".encode()
