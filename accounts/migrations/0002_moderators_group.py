from django.contrib.auth.management import create_permissions
from django.db import migrations

# The least a moderator needs: read the forum in the admin, lock/pin/move threads and
# hide/restore posts (change), work the review queue, notices and reports, read the audit log.
# No delete permission anywhere, nothing on users but reading them.
MODERATOR_PERMISSIONS = {
    "accounts": ["view_user"],
    "forum": ["view_category", "view_thread", "change_thread", "view_post", "change_post",
              "view_postrevision"],
    "moderation": ["view_review", "change_review", "view_notice", "add_notice", "change_notice",
                   "view_report", "change_report", "view_auditlog"],
}


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make them exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Moderators")
    for app_label, codenames in MODERATOR_PERMISSIONS.items():
        perms = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        assert perms.count() == len(codenames), (app_label, codenames)
        group.permissions.add(*perms)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Moderators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("forum", "0001_initial"),
        ("moderation", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
