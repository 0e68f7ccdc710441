from django.db import migrations

# Copied here rather than imported: a migration must keep meaning what it meant when written.
DEFAULTS = {
    "advice": (
        "It looks like this post asks for medical advice. Members here are happy to share "
        "experience, but a forum cannot examine you or know your history: please talk to a "
        "doctor, physiotherapist or other qualified professional about it."
    ),
    "urgent": (
        "This post describes signs that can need prompt medical attention. Please don't wait "
        "for replies here: contact a doctor, an urgent care service or emergency services now."
    ),
}


def create_templates(apps, schema_editor):
    NoticeTemplate = apps.get_model("moderation", "NoticeTemplate")
    for severity, text in DEFAULTS.items():
        NoticeTemplate.objects.get_or_create(severity=severity, defaults={"text": text})


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]

    operations = [migrations.RunPython(create_templates, migrations.RunPython.noop)]
