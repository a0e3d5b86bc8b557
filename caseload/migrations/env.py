"""Alembic environment: runs on the connection caseload hands it (an open SQLCipher store).

For developers, `alembic` can also run against a plain SQLite URL to autogenerate
a revision: the schema is the same, only the cipher differs.
"""

from alembic import context

from caseload.models import metadata

config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from sqlalchemy import create_engine

    url = config.get_main_option("sqlalchemy.url") or "sqlite://"
    with create_engine(url).connect() as conn:
        _run(conn)
