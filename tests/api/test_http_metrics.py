"""HTTP metrics from prometheus-fastapi-instrumentator, under the names dashboards already use."""

from __future__ import annotations

import json


def test_a_body_refused_before_routing_is_counted_under_its_route(client, api_settings):
    # The body cap answers 413 before the router runs: a middleware reading the route from
    # the scope (ours, before the instrumentator) filed these under "unmatched".
    big = json.dumps({"flight_number": "1" * (api_settings.api_max_body_bytes + 10)})
    response = client.post("/v1/price", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    client.get("/no/such/path")

    text = client.get("/metrics").text
    assert (
        'flightprice_http_requests_total{method="POST",route="/v1/price",status="413"} 1.0' in text
    )
    assert (
        'flightprice_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    )
    assert (
        'flightprice_http_request_duration_seconds_count{method="POST",route="/v1/price"}' in text
    )
