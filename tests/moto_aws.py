"""Test helpers: moto's HTTP server as the AWS stand-in (real boto3 over real HTTP, dummy
credentials), the ECS service of ecs/service.json on it, free local ports.

Imported by the `moto_url` / `aws` fixtures (tests/conftest.py) and by test modules (a plain
module, not `conftest`, so that its name is the same from every test folder).
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx

from flightprice.deploy import _ecs
from flightprice.settings import REPO_ROOT

REGION = "us-east-1"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
SERVICE_JSON = REPO_ROOT / "ecs" / "service.json"


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Run `ThreadedMotoServer` on a free port of 127.0.0.1; yield its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nothing_listening() -> str:
    """A base URL on 127.0.0.1 where nothing listens: every request is refused."""
    return f"http://127.0.0.1:{free_port()}"


def reset(url: str) -> None:
    """Forget every bucket, cluster and revision (tests share one server)."""
    httpx.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()


def client(url: str, service: str):  # -> a boto3 client
    return boto3.client(service, endpoint_url=url, region_name=REGION)


def create_ecs_service(url: str, settings, pinned_version: str) -> dict:
    """Create the VPC pieces, the cluster, a first revision pinning `pinned_version`, and the
    service from ecs/service.json; return the names and the first revision's ARN."""
    ec2 = client(url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"]
               for i in (1, 2)]
    group = ec2.create_security_group(GroupName="flightprice-api", Description="api",
                                      VpcId=vpc)["GroupId"]
    ecs = client(url, "ecs")
    spec = _ecs._substitute(json.loads(Path(SERVICE_JSON).read_text()), {
        "PRIVATE_SUBNET_A": subnets[0], "PRIVATE_SUBNET_B": subnets[1],
        "API_SECURITY_GROUP": group,
        "API_TARGET_GROUP_ARN": f"arn:aws:elasticloadbalancing:{REGION}:123456789012:"
                                "targetgroup/flightprice-api/0123456789abcdef",
    })
    ecs.create_cluster(clusterName=spec["cluster"])
    template = _ecs.render_template(settings.ecs_task_definition_path, settings,
                                    lambda: "123456789012")
    first = _ecs.register(ecs, _ecs.revision_for(template, settings.ecs_container_name,
                                                 pinned_version))
    ecs.create_service(**{**spec, "taskDefinition": first})
    return {"cluster": spec["cluster"], "service": spec["serviceName"], "first_revision": first}


def service_task_definition(url: str, cluster: str, service: str) -> dict:
    """Return the task definition the service points at now."""
    ecs = client(url, "ecs")
    (described,) = ecs.describe_services(cluster=cluster, services=[service])["services"]
    arn = described["taskDefinition"]
    return ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
