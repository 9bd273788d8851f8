#!/usr/bin/env python3
"""boto3 against the refstack S3 service, the way ESB's functions and STD-019..024/STD-X1 use S3:
path-style addressing, SigV4, region ap-northeast-1.

Run by the Catch2 test "boto3 talks to the refstack S3 service..." in e2e-refstack-tests; runnable
by hand against any S3 endpoint:

    /usr/bin/python3 boto3_s3_interop.py --endpoint http://127.0.0.1:9000 \
        --access-key esb --secret-key <secret> --bucket e2e-test-bucket

Prints one line per check; exits 0 when all pass, 1 when any fails, 2 on bad usage.
"""
import argparse
import hashlib
import io
import sys
import time
import traceback
import urllib.error
import urllib.request
import uuid

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError as error:  # the C++ test checks this first; keep the message useful by hand too
    print(f"boto3 is not importable by {sys.executable}: {error}; run scripts/install-deps", file=sys.stderr)
    sys.exit(2)


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def error_of(call):
    """The botocore ClientError a call raises (code, HTTP status), or fails the check."""
    try:
        result = call()
    except ClientError as error:
        return error.response["Error"].get("Code"), error.response["ResponseMetadata"].get("HTTPStatusCode")
    raise CheckFailed(f"expected a ClientError, the call returned {result!r}")


def make_client(args, secret_key):
    config = Config(
        s3={"addressing_style": "path"},
        signature_version="s3v4",
        retries={"max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
    )
    return boto3.client(
        "s3",
        endpoint_url=args.endpoint,
        aws_access_key_id=args.access_key,
        aws_secret_access_key=secret_key,
        region_name=args.region,
        config=config,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--region", default="ap-northeast-1")
    args = parser.parse_args()

    s3 = make_client(args, args.secret_key)
    bucket = args.bucket
    tag = uuid.uuid4().hex[:8]
    checks = []

    def check(function):
        checks.append(function)
        return function

    @check
    def put_get():  # STD-019
        key = f"test-object-{tag}.txt"
        put = s3.put_object(Bucket=bucket, Key=key, Body=b"Hello from E2E test!", ContentType="application/octet-stream")
        expected_etag = '"' + hashlib.md5(b"Hello from E2E test!").hexdigest() + '"'
        expect(put["ETag"] == expected_etag, f"PutObject ETag {put['ETag']!r}, expected {expected_etag!r}")
        got = s3.get_object(Bucket=bucket, Key=key)
        body = got["Body"].read()
        expect(body == b"Hello from E2E test!", f"GetObject body {body!r}")
        expect(got["ETag"] == put["ETag"], f"GetObject ETag {got['ETag']!r} != PutObject ETag {put['ETag']!r}")
        expect(got["ContentType"] == "application/octet-stream", f"ContentType {got['ContentType']!r}")
        expect(got["ContentLength"] == len(body), f"ContentLength {got['ContentLength']}")

    @check
    def overwrite():  # STD-022
        key = f"test-overwrite-{tag}.txt"
        s3.put_object(Bucket=bucket, Key=key, Body=b"original")
        s3.put_object(Bucket=bucket, Key=key, Body=b"overwritten")
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        expect(body == b"overwritten", f"after overwrite the body is {body!r}")

    @check
    def list_with_prefix():  # STD-020, STD-023
        prefix = f"prefix-test-{tag}/"
        expected = [f"{prefix}file{i}.txt" for i in range(3)]
        for key in reversed(expected):
            s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
        s3.put_object(Bucket=bucket, Key=f"prefix-test-{tag}-other.txt", Body=b"not under the prefix")
        listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
        keys = [entry["Key"] for entry in listing.get("Contents", [])]
        expect(keys == expected, f"keys under {prefix!r}: {keys}")
        expect(listing["KeyCount"] == 3, f"KeyCount {listing['KeyCount']}")
        expect(listing["IsTruncated"] is False, f"IsTruncated {listing['IsTruncated']!r}")

    @check
    def paginate():
        prefix = f"page-{tag}/"
        expected = [f"{prefix}{i:02}" for i in range(5)]
        for key in expected:
            s3.put_object(Bucket=bucket, Key=key, Body=b"p")
        pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": 2}))
        keys = [entry["Key"] for page in pages for entry in page.get("Contents", [])]
        expect(keys == expected, f"paginated keys {keys}")
        expect(len(pages) == 3, f"{len(pages)} pages of 2")

    @check
    def awkward_keys():
        key = f"awkward-{tag}/a b+c \u00fc&=?.txt"
        s3.put_object(Bucket=bucket, Key=key, Body=b"awkward")
        listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"awkward-{tag}/")
        keys = [entry["Key"] for entry in listing.get("Contents", [])]
        expect(keys == [key], f"listed {keys}, expected {[key]}")
        expect(s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"awkward", "GetObject of the awkward key")

    @check
    def delete_then_no_such_key():  # STD-021
        key = f"test-delete-{tag}.txt"
        s3.put_object(Bucket=bucket, Key=key, Body=b"to be deleted")
        deleted = s3.delete_object(Bucket=bucket, Key=key)
        expect(deleted["ResponseMetadata"]["HTTPStatusCode"] == 204, f"DeleteObject status {deleted['ResponseMetadata']}")
        code, status = error_of(lambda: s3.get_object(Bucket=bucket, Key=key))
        expect((code, status) == ("NoSuchKey", 404), f"GetObject after delete: {code} {status}")
        s3.delete_object(Bucket=bucket, Key=key)  # idempotent

    @check
    def head_missing():
        code, status = error_of(lambda: s3.head_object(Bucket=bucket, Key=f"missing-{tag}"))
        expect(status == 404, f"HeadObject of a missing key: {code} {status}")

    @check
    def no_such_bucket():
        code, status = error_of(lambda: s3.get_object(Bucket=f"missing-{tag}", Key="k"))
        expect((code, status) == ("NoSuchBucket", 404), f"GetObject in a missing bucket: {code} {status}")

    @check
    def buckets():
        names = [entry["Name"] for entry in s3.list_buckets()["Buckets"]]
        expect(bucket in names, f"ListBuckets {names} lacks {bucket}")
        fresh = f"boto3-{tag}"
        s3.create_bucket(Bucket=fresh, CreateBucketConfiguration={"LocationConstraint": args.region})
        code, status = error_of(lambda: s3.create_bucket(Bucket=fresh))
        expect((code, status) == ("BucketAlreadyOwnedByYou", 409), f"second CreateBucket: {code} {status}")
        code, _ = error_of(lambda: s3.get_bucket_lifecycle_configuration(Bucket=fresh))
        expect(code == "NoSuchLifecycleConfiguration", f"lifecycle of a new bucket: {code}")

    @check
    def lifecycle():  # STD-024
        rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        expect(len(rules) >= 1, "no lifecycle rules")
        matching = [
            rule
            for rule in rules
            if rule.get("Status") == "Enabled"
            and isinstance(rule.get("Expiration", {}).get("Days"), int)
            and rule["Expiration"]["Days"] == 7
        ]
        expect(matching, f"no rule with Status Enabled and Expiration.Days 7 (an int): {rules}")
        expect(matching[0].get("Filter") == {"Prefix": ""}, f"Filter {matching[0].get('Filter')!r}")

    @check
    def presigned_get():  # STD-X1
        key = f"test-presign-{tag}.bin"
        body = b"presign-content\x00\xff\xfe" + bytes(range(256))
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=120)
        expect(url.startswith(args.endpoint), f"URL {url.split('?')[0]} is not under {args.endpoint}")
        with urllib.request.urlopen(url, timeout=30) as response:
            expect(response.status == 200, f"presigned GET status {response.status}")
            downloaded = response.read()
        expect(downloaded == body, f"presigned GET returned {len(downloaded)} bytes that differ from the {len(body)} put")

    @check
    def upload_and_download_fileobj():
        key = f"transfer-{tag}.bin"
        body = bytes(range(256)) * 64
        s3.upload_fileobj(io.BytesIO(body), bucket, key)
        out = io.BytesIO()
        s3.download_fileobj(bucket, key, out)
        expect(out.getvalue() == body, "download_fileobj bytes differ from upload_fileobj bytes")

    @check
    def wrong_secret():
        intruder = make_client(args, "wrong-" + args.secret_key)
        code, status = error_of(lambda: intruder.list_objects_v2(Bucket=bucket))
        expect((code, status) == ("SignatureDoesNotMatch", 403), f"ListObjectsV2 with a wrong secret: {code} {status}")
        key = f"intruder-{tag}.txt"
        code, status = error_of(lambda: intruder.put_object(Bucket=bucket, Key=key, Body=b"x"))
        expect((code, status) == ("SignatureDoesNotMatch", 403), f"PutObject with a wrong secret: {code} {status}")
        code, _ = error_of(lambda: s3.head_object(Bucket=bucket, Key=key))
        expect(code in ("404", "NoSuchKey"), f"the refused PutObject left an object behind ({code})")
        url = intruder.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "x"}, ExpiresIn=60)
        try:
            urllib.request.urlopen(url, timeout=30)
            raise CheckFailed("a presigned URL signed with a wrong secret was accepted")
        except urllib.error.HTTPError as error:
            expect(error.code == 403, f"presigned GET with a wrong secret: {error.code}")
            expect(b"<Code>SignatureDoesNotMatch</Code>" in error.read(), "presigned GET error is not SignatureDoesNotMatch")

    failed = 0
    for function in checks:
        started = time.monotonic()
        try:
            function()
            print(f"ok    {function.__name__} ({time.monotonic() - started:.2f}s)")
        except CheckFailed as error:
            failed += 1
            print(f"FAIL  {function.__name__}: {error}")
        except Exception:  # any other exception is a failed check, shown in full
            failed += 1
            print(f"FAIL  {function.__name__}: unexpected exception\n{traceback.format_exc()}")
    if failed:
        print(f"{failed} of {len(checks)} boto3 checks failed against {args.endpoint}")
        return 1
    print(f"all {len(checks)} boto3 checks passed against {args.endpoint}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
