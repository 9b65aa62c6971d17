"""The offline journal on its own: order, idempotent replay, rejections, survival of a restart."""

from __future__ import annotations

import httpx

from terminal.client import FloorClient
from terminal.journal import PENDING, REJECTED, SENT, Journal


class LoseAnswers(httpx.AsyncBaseTransport):
    """Delivers the request, then drops the answer: applied, and the terminal never knows."""

    def __init__(self, times: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.times = times

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if self.times and request.method == "POST":
            self.times -= 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


async def logged_in(url: str, transport: httpx.AsyncBaseTransport | None = None) -> FloorClient:
    client = FloorClient(url, transport=transport)
    await client.login("B1001", "1234")
    await client.next_batch()
    return client


async def test_steps_replay_in_order_and_a_lost_answer_is_not_applied_twice(fake, tmp_path):
    lossy = LoseAnswers(times=0)
    client = await logged_in(fake.url, lossy)
    lossy.times = 1
    journal = await Journal.open(tmp_path / "j.sqlite")
    await journal.add(
        "/picking/batches/12/totes", {"slot": 1, "tote": "T1"}, "tote", client.token or ""
    )
    await journal.add(
        "/picking/tasks/301/confirm",
        {"location": "47", "item": "2000000000031", "qty": 3, "tote": "T1"},
        "pick",
        client.token or "",
    )
    first = await journal.flush(client)
    assert first.offline and not first.sent  # the first answer was lost
    assert await journal.waiting() == 2

    reopened = await Journal.open(tmp_path / "j.sqlite")  # as after a restart
    second = await reopened.flush(client)
    assert [s["label"] for s in second.sent] == ["tote", "pick"]
    assert [p for p, _ in fake.floor.applied] == [
        "/api/v1/picking/batches/12/totes",
        "/api/v1/picking/tasks/301/confirm",
    ]
    assert [s["status"] for s in await reopened.steps()] == [SENT, SENT]
    await client.aclose()


async def test_a_rejected_step_is_kept_with_its_reason_and_later_steps_still_go(fake, tmp_path):
    client = await logged_in(fake.url)
    journal = await Journal.open(tmp_path / "j.sqlite")
    await journal.add(
        "/picking/batches/12/totes", {"slot": 9, "tote": "T1"}, "bad slot", client.token or ""
    )
    await journal.add(
        "/picking/batches/12/totes", {"slot": 1, "tote": "T1"}, "good", client.token or ""
    )
    done = await journal.flush(client)
    assert [s["label"] for s in done.rejected] == ["bad slot"]
    assert [s["label"] for s in done.sent] == ["good"]
    steps = await journal.steps()
    assert [(s["status"], s["code"]) for s in steps] == [(REJECTED, "bad_slot"), (SENT, "")]
    assert [s["label"] for s in await journal.unseen_rejections()] == ["bad slot"]
    await journal.mark_seen(steps[0]["id"])
    assert await journal.unseen_rejections() == []
    await client.aclose()


async def test_nothing_is_sent_while_the_server_is_down_and_all_of_it_after(fake, tmp_path):
    client = await logged_in(fake.url)
    journal = await Journal.open(tmp_path / "j.sqlite")
    fake.stop()
    await journal.add(
        "/picking/batches/12/totes", {"slot": 1, "tote": "T1"}, "t1", client.token or ""
    )
    await journal.add(
        "/picking/batches/12/totes", {"slot": 2, "tote": "T2"}, "t2", client.token or ""
    )
    assert (await journal.flush(client)).offline
    assert [s["status"] for s in await journal.steps()] == [PENDING, PENDING]
    fake.start()
    assert len((await journal.flush(client)).sent) == 2
    assert [s["tote"] for s in fake.floor.batch["slots"]] == ["T1", "T2"]
    await client.aclose()


async def test_the_session_token_is_kept_in_the_journal(tmp_path):
    journal = await Journal.open(tmp_path / "j.sqlite")
    await journal.put("token", "abc")
    await journal.put("token", "def")
    assert await (await Journal.open(tmp_path / "j.sqlite")).get("token") == "def"
    await journal.forget("token")
    assert await journal.get("token") is None


async def test_an_ended_session_keeps_the_steps_for_after_the_next_login(fake, tmp_path):
    client = await logged_in(fake.url)
    journal = await Journal.open(tmp_path / "j.sqlite")
    await journal.add("/picking/batches/12/totes", {"slot": 1, "tote": "T1"}, "t1")
    fake.floor.tokens.clear()  # the server forgot the session
    done = await journal.flush(client)
    assert done.unauthorized and not done.rejected
    assert await journal.waiting() == 1
    await client.login("B1001", "1234")
    assert [s["label"] for s in (await journal.flush(client)).sent] == ["t1"]
    await client.aclose()
