"""Tokens that change whenever the unit tree, the working-day calendar or the rule sets change.

Database triggers (migration 0010) give a table's token a new random value in the transaction that
changes the table, so a process may keep what it derived from those tables (the tree of units, the
calendar with its overrides, the rule sets) for as long as the token it read with them is current: one indexed row
instead of reading and hashing 2,380 units, or the calendar tables, on every page and state change.

A token is random, never a counter: a transaction that changed the tree and then rolled back leaves
behind a token that no later state of the database can have. Without a token row (an emptied
table) nothing is kept and every caller reads the tables afresh.
"""
import uuid

from sqlalchemy import select, text

from models import ChangeToken

TOKENS = ("unit_tree", "calendar", "rule_set")
# table: (the token its changes move, the changes that move it; PostgreSQL also on TRUNCATE)
WATCHED = {
    # A rename too: the tree is kept with each unit's name and code (the unit filter lists them).
    "unit": ("unit_tree", ["INSERT", "DELETE", "UPDATE OF parent_id, name, code, depth"]),
    "calendar_override": ("calendar", ["INSERT", "DELETE", "UPDATE"]),
    "calendar_year": ("calendar", ["INSERT", "DELETE", "UPDATE"]),
    "rule_set": ("rule_set", ["INSERT", "DELETE", "UPDATE"]),  # a version is never edited; a new one is made
}



def current(session, name):
    """The token of ``name`` as this transaction sees it, or None when there is none."""
    return session.scalar(select(ChangeToken.token).where(ChangeToken.name == name))


def fresh_rows(names=TOKENS):
    return [{"name": name, "token": uuid.uuid4().hex} for name in names]


def _trigger_name(table, event):
    return f"{table}_{event.split()[0].lower()}_moves_token"


def install(connection, tables=None):
    """The triggers that move the tokens (of ``tables`` only, when given: a migration adding one)."""
    watched = {table: WATCHED[table] for table in (tables or WATCHED)}
    if connection.dialect.name == "postgresql":
        connection.execute(text(
            "CREATE OR REPLACE FUNCTION change_token_move() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN UPDATE change_token SET token = md5(gen_random_uuid()::text) WHERE name = TG_ARGV[0]; RETURN NULL; END $$"))
        for table, (name, events) in watched.items():  # once per statement
            connection.execute(text(f"CREATE TRIGGER {table}_moves_token AFTER {' OR '.join([*events, 'TRUNCATE'])} "
                                    f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION change_token_move('{name}')"))
    elif connection.dialect.name == "sqlite":
        for table, (name, events) in watched.items():  # SQLite has row triggers only, one per kind of change
            for event in events:
                connection.execute(text(
                    f"CREATE TRIGGER IF NOT EXISTS {_trigger_name(table, event)} AFTER {event} ON {table} BEGIN "
                    f"UPDATE change_token SET token = lower(hex(randomblob(16))) WHERE name = '{name}'; END"))
    else:
        raise NotImplementedError(f"no change-token triggers for {connection.dialect.name}")


def remove(connection, tables=None):
    watched = {table: WATCHED[table] for table in (tables or WATCHED)}
    if connection.dialect.name == "postgresql":
        for table in watched:
            connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_moves_token ON {table}"))
        if tables is None:  # the function serves every watched table
            connection.execute(text("DROP FUNCTION IF EXISTS change_token_move()"))
    else:
        for table, (_name, events) in watched.items():
            for event in events:
                connection.execute(text(f"DROP TRIGGER IF EXISTS {_trigger_name(table, event)}"))
