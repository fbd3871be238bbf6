"""One page of rows with the total, as every service's lists answer it."""
import os

import psycopg2

from chassis.db import transaction


def test_a_page_carries_the_total_even_past_the_end(prepared_stack):
    conn = psycopg2.connect(os.environ["ONENET_DATABASE_URL"])
    source = "generate_series(1, 25) AS n WHERE n %% 2 = %(odd)s"
    try:
        with transaction(conn) as tx:
            rows, total = tx.page("n", source, {"odd": 1}, "n", 5, 5)
            assert [row["n"] for row in rows] == [11, 13, 15, 17, 19] and total == 13
            assert tx.page("n", source, {"odd": 1}, "n", 5, 100) == ([], 13)
            assert tx.page("n", source, {"odd": 7}, "n", 5, 0) == ([], 0)
    finally:
        conn.close()
