from __future__ import annotations

from django.db import OperationalError, connection


def test_healthz_answers_200_when_every_service_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "channel_layer": "ok",
        "task_queue": "ok",
    }


def test_healthz_answers_503_when_the_database_cannot_be_reached(client, db, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", unreachable)
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == {"status": "error", "error": "OperationalError"}
    assert body["checks"]["channel_layer"]["status"] == "ok"


def test_healthz_answers_503_when_the_task_queue_cannot_be_reached(client, db, monkeypatch):
    from huey.contrib.djhuey import HUEY

    def broken():
        raise ConnectionError("redis down")

    monkeypatch.setattr(HUEY, "pending_count", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["task_queue"]["status"] == "error"
