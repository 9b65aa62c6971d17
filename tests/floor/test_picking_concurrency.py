"""Several pickers asking for work at the same moment never share a batch."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.support.api import idem


def test_pickers_asking_at_once_each_get_a_different_batch_or_no_work(
    picker, badge_login, new_order, release_wave
):
    for sku in ("SKU-0003", "SKU-0004"):
        release_wave([new_order((sku, 1), ("SKU-0002", 1))["id"]])
    pickers = [picker, badge_login("B1002"), badge_login("B1003")]

    def ask(client):
        r = client.post("/api/v1/picking/next", headers=idem())
        return r.status_code, r.json()

    with ThreadPoolExecutor(len(pickers)) as pool:
        answers = list(pool.map(ask, pickers))
    got = [body["id"] for status, body in answers if status == 200]
    assert len(got) == 2 and len(set(got)) == 2
    assert [body["code"] for status, body in answers if status != 200] == ["no_work"]
    # Asking again returns the batch one already has, not a new one.
    again = {
        pickers[i].post("/api/v1/picking/next", headers=idem()).json().get("id") for i in range(3)
    }
    assert set(got) <= again
