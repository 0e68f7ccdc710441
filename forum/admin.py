from django.contrib import admin

from forum import services
from forum.models import Category, Post, PostRevision, Thread


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("position", "name")


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "author", "post_count", "is_pinned", "is_locked")
    list_filter = ("category", "is_pinned", "is_locked")
    search_fields = ("title",)
    list_select_related = ("category", "author")
    # Counters and numbers belong to the services; the admin must not hand-edit them.
    readonly_fields = ("author", "created", "last_activity", "post_count", "last_number", "slug")
    fields = ("title", "category", "is_pinned", "is_locked", *readonly_fields)

    def has_add_permission(self, request):
        # A thread is born with its first post: members start threads on the site or the API.
        return False

    def save_model(self, request, obj, form, change):
        # Through the services, so that every moderator action is checked and audited.
        changed = set(form.changed_data)
        thread = Thread.objects.get(pk=obj.pk)
        actor = request.user
        if "title" in changed:
            thread = services.thread_edit_title(actor=actor, thread=thread, title=obj.title)
        if "category" in changed:
            thread = services.thread_move(actor=actor, thread=thread, category=obj.category)
        if "is_pinned" in changed:
            thread = services.thread_pin(actor=actor, thread=thread, pinned=obj.is_pinned)
        if "is_locked" in changed:
            thread = services.thread_lock(actor=actor, thread=thread, locked=obj.is_locked)


class RevisionInline(admin.TabularInline):
    model = PostRevision
    extra = 0
    can_delete = False
    fields = ("number", "editor", "created", "source")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("__str__", "thread", "author", "state", "created")
    list_filter = ("state",)
    search_fields = ("source",)
    list_select_related = ("thread", "author")
    raw_id_fields = ("thread", "author")
    readonly_fields = (
        "thread",
        "number",
        "author",
        "source",
        "created",
        "edited",
        "edit_count",
        "state",
        "state_changed",
        "state_changed_by",
    )
    exclude = ("html",)
    inlines = [RevisionInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Nothing a member wrote is destroyed: moderators hide, authors soft-delete.
        return False
