from __future__ import annotations

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import MODERATORS_GROUP, User
from forum.models import Category

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    # Seen just now: keeps the last-seen write out of pinned query counts.
    last_seen = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def moderator(obj, create, extracted, **kwargs):
        obj.save()
        if extracted:
            group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
            obj.groups.add(group)
            obj.is_staff = True
            obj.save(update_fields=["is_staff"])


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


def restore_moderators_group() -> None:
    """Give the Moderators group back the permissions its data migration grants. Transactional
    (live-server) tests flush every table between tests, the migration's rows included."""
    import importlib

    from django.contrib.auth.models import Group, Permission

    from accounts.models import MODERATORS_GROUP

    migration = importlib.import_module("accounts.migrations.0002_moderators_group")
    group, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    for app_label, codenames in migration.MODERATOR_PERMISSIONS.items():
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )
