"""AWS credentials from a Prefect `AwsCredentials` block named in settings (moto over HTTP).

In tests/flows for its Prefect server, where blocks are saved and loaded.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import NoCredentialsError

from flightprice.store import open_store

pytestmark = pytest.mark.aws


@pytest.fixture
def no_env_credentials(aws, monkeypatch):
    """moto, with the dummy credentials taken out of the environment again."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-role lookup either
    return aws


def test_store_takes_credentials_and_endpoint_from_the_named_block(settings, no_env_credentials):
    from prefect_aws import AwsClientParameters, AwsCredentials

    AwsCredentials(
        aws_access_key_id="block-key", aws_secret_access_key="block-secret",
        region_name="eu-west-1",
        aws_client_parameters=AwsClientParameters(endpoint_url=no_env_credentials),
    ).save("flightprice-test-aws", overwrite=True)  # fmt: skip
    s3 = settings.model_copy(update={"store": "s3", "s3_bucket": "from-block",
                                     "aws_credentials_block": "flightprice-test-aws"})
    store = open_store(s3)
    assert store.client.meta.endpoint_url == no_env_credentials
    assert store.client.meta.region_name == "eu-west-1"
    store.client.create_bucket(Bucket="from-block",
                               CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    store.write_bytes("models/v1/metadata.json", b"{}")
    assert store.list("models/") == ["models/v1/metadata.json"]

    # The same settings without the block fall back to boto3's chain, which has nothing here.
    chain = s3.model_copy(update={"aws_credentials_block": None,
                                  "s3_endpoint_url": no_env_credentials})
    with pytest.raises(NoCredentialsError):
        open_store(chain).list("models/")
