"""boto3 clients for the S3 store and ECS deploys, from one place.

Credentials come from boto3's standard chain (env, shared config, SSO, instance or task role)
or, when `settings.aws_credentials_block` names one, from a Prefect `AwsCredentials` block.
An endpoint URL in settings (a stand-in such as moto) wins over the block's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3

    from flightprice.settings import Settings

# Throttling and transient 5xx answers are retried by botocore with exponential back-off.
RETRIES = {"max_attempts": 6, "mode": "standard"}


def aws_client(settings: Settings, service: str, endpoint_url: str | None = None) -> Any:
    """Return a boto3 client of `service` with retries and the configured credentials."""
    from botocore.config import Config

    session, params = _session_and_params(settings)
    config = Config(retries=RETRIES, connect_timeout=10, read_timeout=60)
    if "config" in params:
        config = config.merge(params.pop("config"))
    if endpoint_url:
        params["endpoint_url"] = endpoint_url
    params.setdefault("region_name", settings.aws_region)
    return session.client(service, config=config, **params)


def _session_and_params(settings: Settings) -> tuple[boto3.Session, dict[str, Any]]:
    import boto3

    if not settings.aws_credentials_block:
        return boto3.session.Session(region_name=settings.aws_region), {}
    from prefect_aws import AwsCredentials

    block = AwsCredentials.load(settings.aws_credentials_block, _sync=True)
    params = block.aws_client_parameters.get_params_override()
    if block.region_name:
        params["region_name"] = block.region_name
    return block.get_boto3_session(), params
