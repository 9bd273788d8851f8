#!/usr/bin/env python3
"""boto3 against the refstack DynamoDB: the calls ESB's Lambda functions make (contract 2.7, 2.13).

Run by the Catch2 test "boto3 client and resource layers work against the refstack dynamodb" with
/usr/bin/python3 (Debian's python3-boto3). Prints one line per check; exits 0 only when every
check passed, 1 on the first failure (with what was expected and what came back), 2 when boto3
is missing.
"""

import argparse
import datetime
import decimal
import sys
import uuid


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--region", default="ap-northeast-1")
    parser.add_argument("--table", default="e2e-test-table")
    args = parser.parse_args()

    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import ClientError
    except ImportError as error:
        print(f"boto3 is not importable by {sys.executable} ({error}); run scripts/install-deps")
        return 2

    # One attempt: a retry would hide a first answer botocore could not read (bad crc32, bad JSON).
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=15)
    session = dict(endpoint_url=args.endpoint, region_name=args.region, aws_access_key_id=args.access_key,
                   aws_secret_access_key=args.secret_key, config=config)
    client = boto3.client("dynamodb", **session)
    table = boto3.resource("dynamodb", **session).Table(args.table)

    class CheckFailed(Exception):
        pass

    def expect(name, condition, details):
        if not condition:
            raise CheckFailed(f"{name}: {details}")
        print(f"ok: {name}")

    def error_code(call):
        try:
            call()
        except ClientError as error:
            return error.response.get("Error", {}).get("Code")
        return None

    try:
        # lambda-dynamo put_get: PutItem {id, timestamp, message} then GetItem.
        item_id = str(uuid.uuid4())
        now = str(int(datetime.datetime.now(datetime.timezone.utc).timestamp()))
        item = {"id": {"S": item_id}, "timestamp": {"N": now}, "message": {"S": "Hello from ScyllaDB Lambda"}}
        client.put_item(TableName=args.table, Item=item)
        got = client.get_item(TableName=args.table, Key={"id": {"S": item_id}})
        expect("put_item then get_item returns the item", got.get("Item") == item, f"got {got.get('Item')!r}")

        # lambda-dynamo update: SET message = :msg, #ts = :ts (timestamp is a reserved word).
        updated = client.update_item(
            TableName=args.table, Key={"id": {"S": item_id}},
            UpdateExpression="SET message = :msg, #ts = :ts",
            ExpressionAttributeNames={"#ts": "timestamp"},
            ExpressionAttributeValues={":msg": {"S": "Updated message"}, ":ts": {"N": "1700000000"}},
            ReturnValues="ALL_NEW")
        expect("update_item returns ALL_NEW attributes",
               updated.get("Attributes", {}).get("message") == {"S": "Updated message"}
               and updated["Attributes"].get("timestamp") == {"N": "1700000000"}, f"got {updated.get('Attributes')!r}")
        got = client.get_item(TableName=args.table, Key={"id": {"S": item_id}})
        expect("get_item sees the update", got.get("Item", {}).get("message") == {"S": "Updated message"},
               f"got {got.get('Item')!r}")

        # Upsert: update of an id that was never written creates the item.
        fresh_id = str(uuid.uuid4())
        client.update_item(TableName=args.table, Key={"id": {"S": fresh_id}},
                           UpdateExpression="SET message = :msg, #ts = :ts",
                           ExpressionAttributeNames={"#ts": "timestamp"},
                           ExpressionAttributeValues={":msg": {"S": "upserted"}, ":ts": {"N": now}})
        got = client.get_item(TableName=args.table, Key={"id": {"S": fresh_id}})
        expect("update_item of a missing item creates it", got.get("Item", {}).get("message") == {"S": "upserted"},
               f"got {got!r}")

        # lambda-dynamo delete, then get: no "Item" key at all.
        client.delete_item(TableName=args.table, Key={"id": {"S": item_id}})
        got = client.get_item(TableName=args.table, Key={"id": {"S": item_id}})
        expect("get_item after delete_item has no Item", "Item" not in got, f"got {got!r}")
        got = client.get_item(TableName=args.table, Key={"id": {"S": str(uuid.uuid4())}})
        expect("get_item of a never-written id has no Item", "Item" not in got, f"got {got!r}")

        # lambda-scheduled: resource layer, nested dict -> M, bool -> BOOL.
        last_run = datetime.datetime.utcnow().isoformat()
        table.put_item(Item={"id": "scheduled-run", "last_run": last_run, "event": {"scheduled": True},
                             "ratio": decimal.Decimal("1.5"), "tags": ["a", 2]})
        raw = client.get_item(TableName=args.table, Key={"id": {"S": "scheduled-run"}}).get("Item", {})
        expect("resource put_item stores a nested dict as M and a bool as BOOL",
               raw.get("event") == {"M": {"scheduled": {"BOOL": True}}} and raw.get("last_run") == {"S": last_run},
               f"got {raw!r}")
        expect("resource put_item stores Decimal as N and a list as L",
               raw.get("ratio") == {"N": "1.5"} and raw.get("tags") == {"L": [{"S": "a"}, {"N": "2"}]}, f"got {raw!r}")
        read = table.get_item(Key={"id": "scheduled-run"}).get("Item", {})
        expect("resource get_item reads the values back as Python types",
               read.get("event") == {"scheduled": True} and read.get("ratio") == decimal.Decimal("1.5"),
               f"got {read!r}")

        description = client.describe_table(TableName=args.table)["Table"]
        expect("describe_table reports ACTIVE and the key schema",
               description.get("TableStatus") == "ACTIVE"
               and description.get("KeySchema") == [{"AttributeName": "id", "KeyType": "HASH"}]
               and description.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST",
               f"got {description!r}")
        expect("describe_table through the resource layer",
               table.table_status == "ACTIVE" and table.item_count >= 2, f"status {table.table_status!r}")

        missing_table = error_code(lambda: client.get_item(TableName="no-such-table", Key={"id": {"S": "x"}}))
        expect("an unknown table raises ResourceNotFoundException", missing_table == "ResourceNotFoundException",
               f"got {missing_table!r}")
        bad_key = error_code(lambda: client.put_item(TableName=args.table, Item={"message": {"S": "no id"}}))
        expect("an item without its key raises ValidationException", bad_key == "ValidationException",
               f"got {bad_key!r}")

        wrong = boto3.client("dynamodb", **dict(session, aws_secret_access_key="definitely-not-the-secret"))
        rejected = error_code(lambda: wrong.put_item(TableName=args.table, Item={"id": {"S": "scheduled-run"}}))
        expect("a client with a wrong secret is rejected", rejected == "InvalidSignatureException",
               f"got {rejected!r}")
        still = client.get_item(TableName=args.table, Key={"id": {"S": "scheduled-run"}}).get("Item", {})
        expect("the rejected write changed nothing", still.get("event") == {"M": {"scheduled": {"BOOL": True}}},
               f"got {still!r}")
    except CheckFailed as failure:
        print(f"FAIL: {failure}")
        return 1
    except Exception as error:  # an unexpected botocore error is a failure with its full text
        print(f"FAIL: unexpected {type(error).__name__}: {error}")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
