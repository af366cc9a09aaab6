"""No input to the playground's API gets a 500: any bytes, JSON of any shape, and real bodies
with parts replaced by anything."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import FUZZ, JSON, TEXT, mutated
from tests.playground import Playground

ANSWERS = {200, 400, 404, 413}
MESSAGE = {"workspace": "demo", "user": "anna", "text": "Please add an export", "id": "m-1"}
ACTION = {"workspace": "demo", "user": "po", "action_id": "approve_top", "value": "1"}


@FUZZ
@given(body=st.binary(max_size=300) | JSON.map(lambda v: json.dumps(v).encode()),
       path=st.sampled_from(["messages", "actions"]))  # fmt: skip
async def test_any_body_gets_no_500(client: Playground, body: bytes, path: str) -> None:
    response = await client.http.post(
        f"/playground/api/{path}", data=body, headers={"Content-Type": "application/json"}
    )

    assert response.status in ANSWERS, await response.text()


@FUZZ
@given(data=st.data(), template=st.sampled_from([("messages", MESSAGE), ("actions", ACTION)]))
async def test_real_bodies_with_odd_parts_get_no_500(
    client: Playground, data: st.DataObject, template: tuple[str, dict[str, Any]]
) -> None:
    path, body = template
    response = await client.http.post(f"/playground/api/{path}", json=data.draw(mutated(body)))

    assert response.status in ANSWERS, await response.text()


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["workspace", "user", "after"]), TEXT))
async def test_any_inbox_query_gets_no_500(client: Playground, query: dict[str, str]) -> None:
    response = await client.http.get("/playground/api/inbox", params=query)

    assert response.status in ANSWERS, await response.text()
