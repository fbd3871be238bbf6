"""The command line: ``python -m onenet_province publish|consume|dead-letters``.

    onenet-province publish events.jsonl          one event per line (or a single JSON event)
    onenet-province publish - < events.jsonl      from standard input
    onenet-province consume [--limit N] [--idle 30]   outbound events as JSON lines on stdout
    onenet-province dead-letters [--take] [--limit N]  parked events with their reasons

The broker: ``--url`` or ``ONENET_PROVINCE_URL`` (amqp://province-44@host:5672/onenet);
the password, when the URL has none, from ``ONENET_PROVINCE_PASSWORD``. Exit status:
0 done, 1 a typed error (its name and message on stderr), 2 bad usage.
"""
import argparse
import json
import os
import sys
from urllib.parse import quote, urlsplit

from onenet_province.consumer import DeadLetters, OutboundConsumer
from onenet_province.errors import InvalidEvent, ProvinceClientError
from onenet_province.publisher import Publisher


def broker_url(given):
    url = given or os.environ.get("ONENET_PROVINCE_URL")
    if not url:
        raise SystemExit("give --url or set ONENET_PROVINCE_URL (amqp://province-<code>@host:5672/<vhost>)")
    where = urlsplit(url)
    password = os.environ.get("ONENET_PROVINCE_PASSWORD")
    if where.password is None and password:
        host = where.netloc.rpartition("@")[2]
        url = where._replace(netloc=f"{where.username}:{quote(password, safe='')}@{host}").geturl()
    return url


def read_events(handle):
    """Events from a JSON-lines file (a file holding one JSON object counts as one line)."""
    text = handle.read()
    stripped = text.strip()
    if stripped.startswith("{") and "\n" in stripped:
        try:
            yield json.loads(stripped)
            return
        except ValueError:
            pass
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise InvalidEvent(f"line {number} is not JSON: {exc}") from None


def count_lines(path):
    if path == "-":
        return None
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def publish(args):
    from tqdm import tqdm
    handle = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
    total = count_lines(args.file)
    with handle, Publisher(args.url, args.province, batch_size=args.batch) as publisher, \
            tqdm(total=total, unit="event", disable=args.quiet or total == 1, file=sys.stderr) as bar:
        sent = publisher.publish_many(read_events(handle), progress=bar.update)
    print(f"published {sent} event(s), each confirmed by the broker", file=sys.stderr)


def consume(args):
    def show(event):
        print(json.dumps(event, ensure_ascii=False), flush=True)

    with OutboundConsumer(args.url, args.province) as consumer:
        handled = consumer.run(show, limit=args.limit, idle_timeout=args.idle)
    print(f"received {handled} event(s)", file=sys.stderr)


def dead_letters(args):
    with DeadLetters(args.url, args.province) as parked:
        letters = parked.take(args.limit) if args.take else parked.read(args.limit)
    for letter in letters:
        print(json.dumps({"reason": letter.reason, "error": letter.error, "routing_key": letter.routing_key,
                          "parked_at": letter.parked_at, "event": letter.event}, ensure_ascii=False))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="onenet-province", description="OneNet's client for provinces.")
    parser.add_argument("--url", help="amqp://province-<code>:<password>@host:5672/<vhost>")
    parser.add_argument("--province", help="your two-digit code (default: from the user name)")
    commands = parser.add_subparsers(dest="command", required=True)
    sender = commands.add_parser("publish", help="publish one event or a JSON-lines file")
    sender.add_argument("file", help="a .jsonl file, or - for standard input")
    sender.add_argument("--batch", type=int, default=500, help="events per confirmed batch")
    sender.add_argument("--quiet", action="store_true", help="no progress bar")
    reader = commands.add_parser("consume", help="print your outbound events as JSON lines")
    reader.add_argument("--limit", type=int)
    reader.add_argument("--idle", type=float, help="stop after this many seconds without a message")
    parked = commands.add_parser("dead-letters", help="print your parked events with their reasons")
    parked.add_argument("--limit", type=int, default=100)
    parked.add_argument("--take", action="store_true", help="remove them from the queue once printed")
    args = parser.parse_args(argv)
    args.url = broker_url(args.url)
    try:
        {"publish": publish, "consume": consume, "dead-letters": dead_letters}[args.command](args)
    except ProvinceClientError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
