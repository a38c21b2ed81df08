"""Times one ListObjectsV2 of 1,000 keys on a warm keep-alive connection: signed by botocore,
sent by http.client, the body read whole but not parsed, so no client's own parsing is counted.
Prints the median of N samples in seconds.

    python round_trip.py URL BUCKET PREFIX N"""

import http.client
import statistics
import sys
import time
from urllib.parse import quote

try:
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError:  # awscli 1.44 and later carry their own copy
    from awscli.botocore.auth import S3SigV4Auth
    from awscli.botocore.awsrequest import AWSRequest
    from awscli.botocore.credentials import Credentials


def main():
    url, bucket, prefix, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    conn = http.client.HTTPConnection(url.split("//", 1)[1])
    path = f"/{bucket}?list-type=2&max-keys=1000&prefix={quote(prefix, safe='')}"
    signer = S3SigV4Auth(Credentials("bench", "bench-secret"), "s3", "us-east-1")
    times = []
    for i in range(n + 1):
        request = AWSRequest("GET", url + path)
        signer.add_auth(request)
        headers = {k: v for k, v in request.headers.items()}
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        took = time.perf_counter() - start
        keys = body.count(b"<Key>")
        if response.status != 200 or keys != 1000:
            sys.exit(f"round trip: status {response.status}, {keys} keys: {body[:500]!r}")
        if i:  # the first one opened the connection
            times.append(took)
    print(statistics.median(times))


if __name__ == "__main__":
    main()
