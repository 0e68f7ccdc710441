from django.db import migrations

# GIN queues new entries in a pending list that every search reads in full and that the insert
# crossing gin_pending_list_limit (4 MB by default) merges, inside its transaction. At 1M posts
# and the benchmark's replies the list held 294 pages: a rare word's lookup read them all (3 ms
# against 0.02 ms once merged), and merging them took 64 ms, paid by one reply while it held
# its thread's row lock. 128 kB keeps the list at 16 pages: a merge every forty-odd replies of
# a few milliseconds, and new entries still cost a reply no index walk.
LIMIT_KB = 128


def set_limit(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER INDEX forum_search_document_idx SET (gin_pending_list_limit = {LIMIT_KB})"
        )
        schema_editor.execute("SELECT gin_clean_pending_list('forum_search_document_idx')")


def reset_limit(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER INDEX forum_search_document_idx RESET (gin_pending_list_limit)"
        )


class Migration(migrations.Migration):
    dependencies = [("forum", "0012_thread_front_index")]

    operations = [migrations.RunPython(set_limit, reset_limit)]
