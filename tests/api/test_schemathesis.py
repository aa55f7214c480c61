"""Property tests over a real uvicorn: schemathesis on every operation of the OpenAPI, and
generated Arrow IPC bodies. Zero 5xx, every answer as documented. Bounded example counts."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pyarrow as pa
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from flightprice.serve._request_table import REQUEST_COLUMNS
from flightprice.serve.client import ARROW_STREAM, _ipc_bytes

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
BOUNDED = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@pytest.mark.slow  # 7 operations x 40 examples: ~10 s
def test_every_operation_answers_as_documented_and_never_5xx(api_url):
    # Driven by hand: schemathesis.pytest.from_fixture fails under this pytest ("_nodeid").
    schema = schemathesis.openapi.from_url(f"{api_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    for operation in operations:

        @BOUNDED
        @given(case=operation.as_strategy())
        def answers_as_documented(case) -> None:
            case.call_and_validate(base_url=api_url, checks=CHECKS)

        answers_as_documented()


def test_the_schema_covers_every_operation(client):
    paths = client.get("/openapi.json").json()["paths"]
    operations = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    assert {("POST", "/v1/price"), ("POST", "/v1/price/batch"), ("GET", "/v1/model"),
            ("POST", "/admin/reload"), ("GET", "/health"), ("GET", "/ready")} <= operations  # fmt: skip


# --- Arrow IPC bodies: hand-written strategy (schemathesis sends Arrow bodies as random bytes) --

_STAMPS = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
)
_VALUES = {
    "carrier": st.sampled_from(["BA", "UA", "ZZ", "", "b4", "LONGER"]),
    "flight_number": st.one_of(st.none(), st.text(max_size=12)),
    "origin": st.sampled_from(["LHR", "JFK", "CDG", "lhr", "X"]),
    "destination": st.sampled_from(["JFK", "SFO", "LAX", "LHR", ""]),
    "cabin": st.sampled_from(["economy", "business", "first", "steerage"]),
    "observed_at": _STAMPS,
    "departure_at": _STAMPS,
    "stops": st.integers(-(2**63), 2**63 - 1),
    "duration_minutes": st.integers(-10, 10**6),
    "seats_remaining": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    "capacity": st.one_of(st.none(), st.integers(-5, 10**9)),
    "last_price": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
}
_ODD_TYPES = [pa.string(), pa.int64(), pa.float64(), pa.bool_(), pa.timestamp("s"),
              pa.timestamp("us", tz="+05:00"), pa.date32(), pa.null()]  # fmt: skip


@st.composite
def arrow_bodies(draw) -> pa.Table:
    """Tables of 1-5 rows: random columns (some twice, some retyped, some unknown)."""
    rows = draw(st.integers(1, 5))
    names = draw(st.lists(st.sampled_from([*REQUEST_COLUMNS, "extra"]), max_size=16))
    arrays, fields = [], []
    for name in names:
        values = draw(
            st.lists(
                _VALUES.get(name, st.integers(-(2**63), 2**63 - 1)), min_size=rows, max_size=rows
            )
        )
        array = pa.array(values)
        if draw(st.booleans()) and draw(st.booleans()):  # a quarter: a type it should not have
            kind = draw(st.sampled_from(_ODD_TYPES))
            try:
                array = array.cast(kind)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                array = pa.nulls(rows, kind)
        arrays.append(array)
        fields.append(name)
    if not arrays:
        return pa.table({"nothing": pa.nulls(rows)})
    return pa.Table.from_arrays(arrays, names=fields)


@BOUNDED
@given(table=arrow_bodies())
def test_generated_arrow_bodies_answer_4xx_or_a_price_per_row(api_url, table):
    response = httpx.post(f"{api_url}/v1/price/batch", content=_ipc_bytes(table), timeout=30,
                          headers={"content-type": ARROW_STREAM})  # fmt: skip
    assert response.status_code in (200, 413, 422), response.text
    if response.status_code == 200:
        with pa.ipc.open_stream(response.content) as reader:
            assert reader.read_all().num_rows == table.num_rows
    else:
        assert all(err["loc"][0] == "body" for err in response.json()["detail"])


def test_a_valid_generated_arrow_body_is_priced(api_url):
    # The strategy's valid corner exists (else the test above proves nothing about 200s).
    now = datetime(2026, 9, 5, 12)
    table = pa.Table.from_pylist([{"carrier": "BA", "origin": "LHR", "destination": "JFK",
                                   "cabin": "economy", "observed_at": now,
                                   "departure_at": now + timedelta(days=3), "stops": 0,
                                   "duration_minutes": 480}])  # fmt: skip
    response = httpx.post(f"{api_url}/v1/price/batch", content=_ipc_bytes(table),
                          headers={"content-type": ARROW_STREAM})  # fmt: skip
    assert response.status_code == 200, response.text
