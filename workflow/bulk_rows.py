"""Many plain rows into one table, inside the session's transaction, by the backend's fastest
route: ``COPY … FROM STDIN`` on PostgreSQL, one ``executemany`` elsewhere. For bulk imports."""
import json
from datetime import UTC, datetime

from sqlalchemy import insert

from models.shown_json import ShownJSON, stored


def insert_rows(session, table, rows):
    """``rows``: dicts with the same keys, values as the columns store them (aware datetimes are
    stored as naive UTC, dicts and lists as JSON, exactly as the models' column types do)."""
    if not rows:
        return
    # The models' scalar Python-side defaults ("", False, 0), which COPY would not apply.
    defaults = {c.name: c.default.arg for c in table.columns
                if c.name not in rows[0] and c.default is not None and c.default.is_scalar}
    if defaults:
        rows = [{**defaults, **row} for row in rows]
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    names = list(rows[0])
    columns = ", ".join(f'"{name}"' for name in names)
    shown = {name for name in names if isinstance(table.c[name].type, ShownJSON)}
    raw = connection.connection.driver_connection  # psycopg 3, in the same transaction as the session
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(tuple(_pg(row[name], name in shown) for name in names))


def _pg(value, shown_json=False):
    if shown_json:
        return stored(value)[0]
    if isinstance(value, datetime) and value.tzinfo:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value
