"""After the full lifecycle (steps 1 to 6 through every service), no reporter, victim or
guardian name is in any service's tables (outside the vault's ciphertext), on any topic, or in
the logs; after crypto-shredding, the vault's ciphertext can no longer be decrypted."""

from __future__ import annotations

import time
from collections.abc import Iterator

from kafka import TopicPartition
from sqlalchemy import MetaData, select

from shared.database import make_engine, read_transaction
from shared.kafka import make_consumer, topic_for
from shared.tables import vault_keys, vault_records
from shared.vault import Vault, load_master_key
from tests.intake.walkthrough import REPORTER_NAME
from tests.plan.walkthrough import GUARDIAN_NAME, VICTIM_NAME
from tests.reliability.conftest import Remembered, Walked
from tests.support.system import System

NAMES = (REPORTER_NAME, VICTIM_NAME, GUARDIAN_NAME)
SEALED = {vault_records.name}
"""The only place a name may be, encrypted."""


def every_row(system: System, service: str) -> Iterator[tuple[str, str]]:
    engine = make_engine(system.settings.database_url(service))
    tables = MetaData()
    tables.reflect(engine)
    with read_transaction(engine) as conn:
        for table in tables.sorted_tables:
            if table.name not in SEALED:
                for row in conn.execute(select(table)):
                    yield table.name, str(tuple(row))
    engine.dispose()


def topic_records(system: System, topic: str) -> list[bytes]:
    consumer = make_consumer(system.settings.kafka_bootstrap, None)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        found: list[bytes] = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            batches = consumer.poll(timeout_ms=500)
            if not batches:
                break
            found.extend(
                r.value + str(r.headers).encode()
                for batch in batches.values()
                for r in batch
                if dict(r.headers).get("ce_tenant") == system.tenant.encode()
            )
        return found
    finally:
        consumer.close()


def test_no_name_in_any_table_topic_or_log(
    system: System, system_logs: Remembered, walked: Walked
) -> None:
    identity = system.client("plan").get(
        f"/v1/incidents/{walked.incident}/people/{walked.ids['victim']}/identity",
        params={"purpose": "school enrolment"},
    )
    assert VICTIM_NAME in identity.text  # the vault works: the name exists, sealed
    leaks = [
        f"{service}.{table}"
        for service in system.services
        for table, row in every_row(system, service)
        if any(name in row for name in NAMES)
    ]
    assert leaks == []
    published = {service: topic_records(system, topic_for(service)) for service in system.services}
    assert published["intake"] and published["plan"] and published["monitoring"]
    assert not [
        service
        for service, records in published.items()
        if any(name.encode() in record for record in records for name in NAMES)
    ]
    assert system_logs.lines
    assert not [line for line in system_logs.lines if any(n in line for n in NAMES)]


def test_crypto_shredded_identities_cannot_be_decrypted(system: System, walked: Walked) -> None:
    person, incident = walked.ids["victim"], walked.incident
    plan = system.client("plan")
    assert plan.delete(f"/v1/incidents/{incident}/people/{person}/identity").status_code == 200
    engine = make_engine(system.settings.database_url("plan"))
    vault = Vault(load_master_key(system.settings.vault_master_key, system.settings.data_dir))
    with read_transaction(engine) as conn:
        of_person = vault_records.c.subject_id == person
        sealed = list(conn.execute(select(vault_records).where(of_person)))
        keys = list(conn.execute(select(vault_keys).where(vault_keys.c.subject_id == person)))
        opened = [vault.open(conn, tenant=row.tenant, ref=row.ref) for row in sealed]
    engine.dispose()
    assert sealed, "the ciphertext stays; only the key goes"
    assert keys == [] and opened == [None] * len(sealed)
    erased = plan.get(
        f"/v1/incidents/{incident}/people/{person}/identity", params={"purpose": "check"}
    )
    assert VICTIM_NAME not in erased.text and erased.json().get("erased") is True
