from importlib import import_module

from django.db import migrations

# Skeletons now spell a character that looks like several ASCII characters as those ("m" as
# "rn"); every stored skeleton is computed again, with 0007's function.
fill_skeletons = import_module("accounts.migrations.0007_username_skeleton").fill_skeletons


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_username_skeleton"),
    ]

    operations = [
        migrations.RunPython(fill_skeletons, migrations.RunPython.noop),
    ]
