#!/usr/bin/env python3
"""Writes synthetic residents onto a campaign's "all" board in Redis, in pufa's own key layout
(docs/keyspace.md), as RESP for `redis-cli --pipe`. Used by bench/growth.sh to grow a board to
1M entries without a million quiz sessions. The board's keys are added to the campaign's key
registry, so `pufa scores rebuild` (which clears what the registry names) drops them too.

    fill_board.py PREFIX CAMPAIGN_ID FIRST_USER COUNT | redis-cli --pipe
"""
import sys

prefix, campaign, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
z = f"{prefix}:{{c{campaign}}}:z:all".encode()
w = f"{prefix}:{{c{campaign}}}:w:all".encode()
cards = f"{prefix}:{{c{campaign}}}:cards".encode()
registry = f"{prefix}:{{c{campaign}}}:keys".encode()
out = sys.stdout.buffer


def cmd(*parts):
    out.write(b"*%d\r\n" % len(parts))
    for p in parts:
        out.write(b"$%d\r\n%s\r\n" % (len(p), p))


cmd(b"SADD", registry, z, w)
for user in range(first, first + count):
    points = (user * 7919) % 101
    member = b"%012d%016d%020d" % ((user * 104729) % 600000, 1_700_000_000_000 + user, user)
    cmd(b"ZADD", z, str(-points).encode(), member)
    cmd(b"HSET", w, str(user).encode(), member)
    cmd(b"HSET", cards, str(user).encode(), "居民{}\x1f150824202201".format(user).encode())
